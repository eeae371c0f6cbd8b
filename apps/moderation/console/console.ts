import { api, ApiError, token, type Appeal, type AuditEntry, type Ban, type Report, type ReportSummary, type Settings } from './api.ts';
import { announce, byId, cell, el, when } from './dom.ts';

type View = 'queue' | 'report' | 'bans' | 'appeals' | 'audit';
const VIEWS: View[] = ['queue', 'report', 'bans', 'appeals', 'audit'];
let settings: Settings = { grounds: [], categories: [] };
let queueCursor: string | null = null;
let auditCursor: string | null = null;
let currentReport: Report | undefined;

function fail(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) return signOut('Your token was refused. Sign in again.');
  announce(error instanceof Error ? error.message : String(error), true);
}

function show(view: View, heading = true): void {
  for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('.tabs a')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // Move focus to the new view's heading so keyboard and screen-reader users land there.
  if (heading) byId(`view-${view}`).querySelector<HTMLElement>('h1')?.focus();
}

// ---------------------------------------------------------------- reports

async function loadQueue(append = false): Promise<void> {
  const status = byId<HTMLSelectElement>('filter-status').value;
  const category = byId<HTMLSelectElement>('filter-category').value;
  const query = new URLSearchParams({ status, limit: '50' });
  if (category) query.set('category', category);
  if (append && queueCursor) query.set('cursor', queueCursor);
  const page = await api<{ reports: ReportSummary[]; next: string | null }>('GET', `reports?${query}`);
  const rows = byId('queue-rows');
  if (!append) rows.replaceChildren();
  for (const report of page.reports) {
    const open = el('a', { href: `#report/${report.id}`, text: 'Open', 'aria-label': `Open ${report.category} report of ${when(report.createdAt)}` });
    rows.append(el('tr', {}, cell(when(report.createdAt)), cell(report.category), cell(report.reason || '—'), cell(String(report.messages)), el('td', {}, open)));
  }
  queueCursor = page.next;
  byId('queue-more').hidden = page.next === null;
  byId('queue-empty').hidden = rows.childElementCount > 0;
}

function term(list: HTMLElement, name: string, value: string): void {
  list.append(el('dt', { text: name }), el('dd', { text: value }));
}

async function openReport(id: string): Promise<void> {
  const report = await api<Report>('GET', `reports/${encodeURIComponent(id)}`);
  currentReport = report;
  byId('report-title').textContent = `Report: ${report.category}`;
  const meta = byId('report-meta');
  meta.replaceChildren();
  term(meta, 'Status', report.status);
  term(meta, 'Reported at', when(report.createdAt));
  term(meta, 'Reason given', report.reason || '—');
  term(meta, 'Reported address (hash)', report.reported.ipHash);
  term(meta, 'Reporter address (hash)', report.reporter.ipHash);
  term(meta, 'Kept until', when(report.expiresAt));
  const evidence = byId('evidence');
  evidence.replaceChildren();
  for (const message of report.evidence.messages) {
    const who = message.from === 'reported' ? 'Reported user' : 'Reporter';
    evidence.append(el('li', { class: `evidence-${message.from}` }, el('span', { class: 'who', text: `${who} · #${message.seq} · ${new Date(message.ts).toLocaleTimeString()}` }), el('span', { class: 'text', text: message.text })));
  }
  byId('evidence-note').textContent =
    report.evidence.messages.length === 0 ? 'No messages were exchanged.' : report.evidence.omitted > 0 ? `${report.evidence.omitted} older messages were not kept.` : '';
  const decided = byId('report-decided');
  decided.hidden = report.status === 'open';
  decided.textContent = report.action ? `${report.action.action} by ${report.action.by} on ${when(report.action.at)}${report.action.ban ? ` (ban ${report.action.ban})` : ''}` : '';
  byId('action-form').hidden = report.status !== 'open';
  show('report');
}

async function submitAction(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (!currentReport) return;
  const form = new FormData(event.target as HTMLFormElement);
  const action = String(form.get('action'));
  const body: Record<string, unknown> = { action };
  const reason = String(form.get('reason') ?? '').trim();
  if (reason) body.reason = reason;
  if (action !== 'dismiss') {
    body.ground = String(form.get('ground'));
    const duration = String(form.get('duration'));
    if (duration) body.duration = Number(duration);
  }
  const result = await api<{ ban?: string; status: string }>('POST', `reports/${currentReport.id}/actions`, body);
  announce(result.ban ? `Done: ${action === 'shadowban' ? 'shadow ban' : 'ban'} ${result.ban} is in force.` : 'Done: report dismissed.');
  (event.target as HTMLFormElement).reset();
  await openReport(currentReport.id);
}

// ---------------------------------------------------------------- bans, appeals, audit

async function loadBans(): Promise<void> {
  const { bans } = await api<{ bans: Ban[] }>('GET', 'bans');
  const rows = byId('ban-rows');
  rows.replaceChildren();
  for (const ban of bans) {
    const lift = el('button', { type: 'button', class: 'danger', text: 'Lift', 'aria-label': `Lift ban ${ban.id}` });
    lift.addEventListener('click', () => {
      lift.disabled = true;
      api('DELETE', `bans/${ban.id}`)
        .then(() => announce(`Ban ${ban.id} lifted.`))
        .then(loadBans)
        .catch(fail);
    });
    rows.append(el('tr', { 'data-ban': ban.id }, cell(ban.id), cell(ban.kind), cell(settings.grounds.find((g) => g.code === ban.ground)?.label ?? ban.ground), cell(ban.reason || '—'), cell(when(ban.until)), cell(ban.by), el('td', {}, lift)));
  }
  byId('bans-empty').hidden = bans.length > 0;
}

function appealCard(appeal: Appeal): HTMLLIElement {
  const card = el('li', { class: 'card', 'data-appeal': appeal.id }, el('p', { class: 'muted', text: `Ban ${appeal.ban} · ${when(appeal.createdAt)} · ${appeal.status}` }), el('blockquote', { text: appeal.text }));
  if (appeal.status !== 'open') {
    card.append(el('p', { text: `${appeal.decision?.decision} by ${appeal.decision?.by}: ${appeal.decision?.reason || '—'}` }));
    return card;
  }
  const reasonId = `reason-${appeal.id}`;
  const reason = el('textarea', { id: reasonId, rows: '2', maxlength: '500' });
  const decide = (decision: 'uphold' | 'lift') =>
    api('POST', `appeals/${appeal.id}/decision`, { decision, reason: reason.value })
      .then(() => announce(decision === 'lift' ? `Appeal granted: ban ${appeal.ban} lifted.` : 'Appeal rejected: the ban stays.'))
      .then(loadAppeals)
      .catch(fail);
  const uphold = el('button', { type: 'button', text: 'Keep the ban' });
  const lift = el('button', { type: 'button', class: 'primary', text: 'Lift the ban' });
  uphold.addEventListener('click', () => void decide('uphold'));
  lift.addEventListener('click', () => void decide('lift'));
  card.append(el('label', { for: reasonId, text: 'Why (recorded in the audit log)' }), reason, el('div', { class: 'row' }, uphold, lift));
  return card;
}

async function loadAppeals(): Promise<void> {
  const status = byId<HTMLSelectElement>('appeal-status').value;
  const { appeals } = await api<{ appeals: Appeal[] }>('GET', `appeals?status=${status}&limit=100`);
  byId('appeal-list').replaceChildren(...appeals.map(appealCard));
  byId('appeals-empty').hidden = appeals.length > 0;
}

async function loadAudit(append = false): Promise<void> {
  const query = new URLSearchParams({ limit: '50' });
  if (append && auditCursor) query.set('cursor', auditCursor);
  const page = await api<{ entries: AuditEntry[]; next: string | null }>('GET', `audit?${query}`);
  const rows = byId('audit-rows');
  if (!append) rows.replaceChildren();
  for (const entry of page.entries) rows.append(el('tr', {}, cell(when(entry.at)), cell(entry.by), cell(entry.action), cell(entry.target), cell(entry.ground ?? ''), cell(entry.reason ?? '')));
  auditCursor = page.next;
  byId('audit-more').hidden = page.next === null;
}

// ---------------------------------------------------------------- navigation and sign-in

async function route(): Promise<void> {
  const hash = location.hash.slice(1) || 'queue';
  const report = /^report\/(.+)$/.exec(hash);
  if (report) return openReport(report[1]!);
  const view = (['bans', 'appeals', 'audit'] as const).find((name) => name === hash) ?? 'queue';
  show(view);
  if (view === 'queue') await loadQueue();
  if (view === 'bans') await loadBans();
  if (view === 'appeals') await loadAppeals();
  if (view === 'audit') await loadAudit();
}

function signOut(message = ''): void {
  token.clear();
  byId('app').hidden = true;
  byId('login').hidden = false;
  byId('sign-out').hidden = true;
  byId('who').textContent = '';
  byId('login-error').textContent = message;
  byId('token').focus();
}

async function signIn(): Promise<void> {
  const me = await api<{ moderator: string }>('GET', 'me');
  settings = await api<Settings>('GET', 'settings');
  byId('who').textContent = `Signed in as ${me.moderator}`;
  byId('filter-category').replaceChildren(el('option', { value: '', text: 'All' }), ...settings.categories.map((c) => el('option', { value: c, text: c })));
  byId('action-ground').replaceChildren(...settings.grounds.map((g) => el('option', { value: g.code, text: g.label })));
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('sign-out').hidden = false;
  await route();
}

function start(): void {
  for (const view of VIEWS) byId(`view-${view}`).querySelector('h1')?.setAttribute('tabindex', '-1');
  byId('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token.set(byId<HTMLInputElement>('token').value.trim());
    signIn().catch((error: unknown) => {
      const message = error instanceof ApiError && error.code === 'api_disabled' ? error.message : error instanceof ApiError && error.status === 401 ? 'That token is not valid.' : String(error);
      signOut(message);
    });
  });
  byId('sign-out').addEventListener('click', () => signOut());
  byId('queue-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    loadQueue().catch(fail);
  });
  byId('appeal-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    loadAppeals().catch(fail);
  });
  byId('queue-more').addEventListener('click', () => void loadQueue(true).catch(fail));
  byId('audit-more').addEventListener('click', () => void loadAudit(true).catch(fail));
  byId('action-form').addEventListener('submit', (event) => void submitAction(event as SubmitEvent).catch(fail));
  window.addEventListener('hashchange', () => void route().catch(fail));
  if (token.get()) signIn().catch(() => signOut());
  else byId('token').focus();
}

start();
