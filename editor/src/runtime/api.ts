/**
 * REST calls to the runtime (same origin). Each returns parsed JSON or throws an Error whose
 * message says which call failed and the server's reason.
 */

/** The per-launch token the server injects into index.html (`<meta name="patchbay-token">`). */
export function launchToken(doc: Pick<Document, 'querySelector'> = document): string | null {
  return doc.querySelector('meta[name="patchbay-token"]')?.getAttribute('content') || null;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = typeof document !== 'undefined' ? launchToken() : null;
  return token ? { 'x-patchbay-token': token, ...extra } : extra;
}

async function call<T>(
  method: string,
  path: string,
  body?: BodyInit,
  contentType = 'application/json',
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      body,
      headers: headers(body !== undefined ? { 'content-type': contentType } : {}),
    });
  } catch (error) {
    throw new Error(`${method} ${path}: the runtime is not reachable (${(error as Error).message})`, {
      cause: error,
    });
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const d = data as { error?: string; message?: string; detail?: string } | string | null;
    const reason = typeof d === 'string' ? d : (d?.error ?? d?.message ?? d?.detail ?? res.statusText);
    throw new Error(`${method} ${path}: ${res.status} ${reason}`);
  }
  return data as T;
}

export interface PatchListing {
  name: string;
  path?: string;
  folder?: string;
  title?: string;
  description?: string;
  example?: boolean;
  /** "example" (shipped) or "user" (the patches folder). */
  source?: string;
  [k: string]: unknown;
}

/** Patches in the runtime's patches folder and the examples. */
export async function listPatches(): Promise<PatchListing[]> {
  const data = await call<{ patches?: PatchListing[] } | PatchListing[]>('GET', '/api/v1/patches');
  return Array.isArray(data) ? data : (data?.patches ?? []);
}

/** The runtime's default patch name (what `npm start` opens first), or null when it names none. */
export async function defaultPatchName(): Promise<string | null> {
  const data = await call<{ default?: unknown } | unknown[]>('GET', '/api/v1/patches');
  return !Array.isArray(data) && typeof data?.default === 'string' ? data.default : null;
}

/** The text of a saved patch (parsed by the caller with parsePatch). */
export async function readPatch(name: string): Promise<unknown> {
  return call<unknown>('GET', `/api/v1/patches/${encodeURIComponent(name)}`);
}

/** Saves a patch (JSON text) under a name in the runtime's patches folder. */
export async function writePatch(name: string, text: string): Promise<void> {
  await call('PUT', `/api/v1/patches/${encodeURIComponent(name)}`, text);
}

/** Node packages the runtime loaded at start, and those it refused (with the file and what to fix). */
export interface NodePackageReport {
  packages: { package: string; version: string; types: string[] }[];
  refused: { package: string; file: string; reason: string; fix: string }[];
}

export async function nodePackages(): Promise<NodePackageReport> {
  const d = await call<Partial<NodePackageReport>>('GET', '/api/v1/nodes/definitions');
  return { packages: d.packages ?? [], refused: d.refused ?? [] };
}

export interface AssetInfo {
  name: string;
  path: string;
  size_mb: number;
  folder?: string;
  type: string;
  created_at?: string | number;
}

/** Assets of a kind (Scope's `/api/v1/assets`). */
export async function listAssets(type?: 'image' | 'video'): Promise<AssetInfo[]> {
  const data = await call<{ assets: AssetInfo[] }>('GET', `/api/v1/assets${type ? `?type=${type}` : ''}`);
  return data?.assets ?? [];
}

/** Uploads a file into the assets folder (raw bytes, Scope's form). */
export async function uploadAsset(file: File): Promise<AssetInfo> {
  return call<AssetInfo>(
    'POST',
    `/api/v1/assets?filename=${encodeURIComponent(file.name)}`,
    file,
    file.type || 'application/octet-stream',
  );
}

/** Posts a WebRTC offer (Scope's API). */
export async function postOffer(body: {
  sdp: string;
  type: 'offer';
  initialParameters?: Record<string, unknown>;
}): Promise<{ sdp: string; type: 'answer'; sessionId: string }> {
  return call('POST', '/api/v1/webrtc/offer', JSON.stringify(body));
}

/** Trickles ICE candidates for a WebRTC session. */
export async function patchCandidates(
  sessionId: string,
  candidates: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }[],
): Promise<void> {
  await call(
    'PATCH',
    `/api/v1/webrtc/offer/${encodeURIComponent(sessionId)}`,
    JSON.stringify({ candidates }),
  );
}

/** Closes a WebRTC session. */
export async function deleteOffer(sessionId: string): Promise<void> {
  await call('DELETE', `/api/v1/webrtc/offer/${encodeURIComponent(sessionId)}`);
}
