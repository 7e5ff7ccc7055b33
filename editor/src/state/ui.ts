/** The UI slice: toasts, the connect hint near the cursor, which Output the preview shows. */
import type { StoreCore, Toast } from './types';

export class UiSlice {
  private toastId = 0;
  private hintTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly core: StoreCore) {}

  toast(kind: Toast['kind'], text: string, action?: Toast['action']): void {
    const id = ++this.toastId;
    const toast: Toast = action ? { id, kind, text, action } : { id, kind, text };
    this.core.set({ toasts: [...this.core.get().toasts.slice(-3), toast] });
    setTimeout(() => this.dismiss(id), kind === 'error' ? 9000 : 4000);
  }

  dismiss(id: number): void {
    this.core.set({ toasts: this.core.get().toasts.filter((t) => t.id !== id) });
  }

  /** Shows a hint near a point for a few seconds (connect refusals). */
  showHint(text: string, at: { x: number; y: number }): void {
    this.core.set({ connectHint: { text, x: at.x, y: at.y } });
    if (this.hintTimer) clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => this.core.set({ connectHint: null }), 6000);
  }

  setPreview(node: string | null): void {
    this.core.set({ previewNode: node });
  }
}
