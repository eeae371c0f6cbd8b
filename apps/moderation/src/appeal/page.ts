import type { Ban } from '@strangers/moderation';
import { banStatement, TEXT_LIMITS } from '@strangers/moderation';

/** Text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="robots" content="noindex" />
    <title>${escapeHtml(title)}</title>
    <link rel="stylesheet" href="/styles.css" />
  </head>
  <body>
    <main class="page narrow">
      <h1>${escapeHtml(title)}</h1>
${body}
    </main>
  </body>
</html>
`;
}

function describeEnd(ban: Ban): string {
  return ban.until === undefined ? 'This ban is permanent.' : `This ban ends on ${new Date(ban.until).toUTCString()}.`;
}

/** The public appeal form of a ban in force: its statement of reasons and a text box. */
export function appealFormPage(ban: Ban, options: { error?: string; text?: string } = {}): string {
  const statement = banStatement(ban);
  const error = options.error ? `      <p id="appeal-error" class="error" role="alert">${escapeHtml(options.error)}</p>\n` : '';
  return layout(
    'Appeal a ban',
    `      <section aria-labelledby="statement-title" class="panel">
        <h2 id="statement-title">Why you were banned</h2>
        <p id="statement-reason">${escapeHtml(statement.reason)}</p>
        <p>${escapeHtml(describeEnd(ban))}</p>
      </section>
      <p>If you think this decision is wrong, tell us why. A moderator reads every appeal and
      decides it; you can appeal once. Do not include personal details.</p>
${error}      <form method="post" class="stack">
        <label for="appeal-text">Your appeal <span class="hint">(up to ${TEXT_LIMITS.appeal} characters)</span></label>
        <textarea id="appeal-text" name="text" rows="8" maxlength="${TEXT_LIMITS.appeal}" required${options.error ? ' aria-describedby="appeal-error" aria-invalid="true"' : ''}>${escapeHtml(options.text ?? '')}</textarea>
        <button type="submit" class="primary">Send appeal</button>
      </form>`,
  );
}

/** A one-paragraph answer page (appeal received, not found, refused…). */
export function messagePage(title: string, message: string): string {
  return layout(title, `      <p role="status">${escapeHtml(message)}</p>`);
}
