/**
 * Autosave, part of the document slice: the patch goes to local storage 250 ms after an edit and
 * to the runtime's `autosave` patch 1.5 s after (a second copy, not the only one).
 */
import { serializePatch, type Patch } from '../../../patches';
import { readAutosave, writeAutosave, type StorageLike } from '../files';
import { writePatch } from '../runtime';
import type { StoreCore } from './types';
import type { UiSlice } from './ui';

export class Autosave {
  private localTimer: ReturnType<typeof setTimeout> | null = null;
  private remoteTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly core: StoreCore,
    private readonly storage: StorageLike | null,
    private readonly ui: UiSlice,
  ) {}

  /** The autosaved patch and file name, if storage holds one. */
  static restore(storage: StorageLike | null): { patch: Patch; fileName: string | null } | null {
    return storage ? readAutosave(storage) : null;
  }

  schedule(): void {
    if (this.localTimer) clearTimeout(this.localTimer);
    this.localTimer = setTimeout(() => this.flushLocal(), 250);
    if (this.remoteTimer) clearTimeout(this.remoteTimer);
    this.remoteTimer = setTimeout(() => void this.flushRemote(), 1500);
  }

  /** Writes a pending local autosave now (before unload). */
  flush(): void {
    if (this.localTimer) {
      clearTimeout(this.localTimer);
      this.flushLocal();
    }
  }

  private flushLocal(): void {
    this.localTimer = null;
    if (!this.storage) return;
    const { patch, fileName } = this.core.get();
    const err = writeAutosave(this.storage, patch, fileName, this.core.now());
    if (err) this.ui.toast('error', err);
  }

  private async flushRemote(): Promise<void> {
    this.remoteTimer = null;
    if (!this.core.opts.runtimeUrl) return;
    try {
      await writePatch('autosave', serializePatch(this.core.get().patch));
    } catch {
      /* the local copy is kept; the runtime's copy is a second chance, not the only one */
    }
  }
}
