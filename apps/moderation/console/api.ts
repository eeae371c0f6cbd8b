/** The console's calls to the moderation API (same origin), with the moderator's bearer token. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'moderation-token';

/** The token lives in sessionStorage: gone when the tab closes, never in a cookie. */
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token.get()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/api/${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new ApiError(response.status, String(data.error ?? 'error'), String(data.message ?? response.statusText));
  return data as T;
}

export interface Party { sid: string; ipHash: string; gateway: string }
export interface ReportSummary { id: string; category: string; reason: string; status: string; createdAt: number; messages: number }
export interface EvidenceMessage { seq: number; ts: number; from: 'reporter' | 'reported'; text: string }
export interface ReportAction { action: string; by: string; at: number; ground?: string; reason: string; ban?: string }
export interface Report extends ReportSummary {
  chatId: string;
  expiresAt: number;
  reporter: Party;
  reported: Party;
  action?: ReportAction;
  evidence: { messages: EvidenceMessage[]; omitted: number };
}
export interface Ban { id: string; kind: string; ipHash: string; ground: string; reason: string; until?: number; createdAt: number; by: string; report?: string; appeal: string }
export interface Appeal { id: string; ban: string; text: string; createdAt: number; status: string; decision?: { decision: string; by: string; at: number; reason: string } }
export interface AuditEntry { id: string; at: number; by: string; action: string; target: string; ground?: string; reason?: string }
export interface Settings { grounds: { code: string; label: string }[]; categories: string[] }
