/**
 * The message log. Every piece of user text goes through `textContent`: a stranger's message
 * is data, never markup, whatever it contains.
 */
export class MessageList {
  constructor(private readonly list: HTMLOListElement) {}

  clear(): void {
    this.list.replaceChildren();
  }

  partner(text: string): HTMLLIElement {
    return this.add('bubble partner', text, 'Stranger: ');
  }

  /** An own message, shown at once as "sending" until the server acknowledges it. */
  own(text: string): HTMLLIElement {
    const item = this.add('bubble own pending', text, 'You: ');
    item.setAttribute('aria-busy', 'true');
    return item;
  }

  acked(item: HTMLLIElement): void {
    item.classList.remove('pending');
    item.removeAttribute('aria-busy');
  }

  /** Marks an own message as not sent, with a retry button when the app can retry. */
  failed(item: HTMLLIElement, why: string, retry: (() => void) | undefined): void {
    item.classList.remove('pending');
    item.classList.add('failed');
    item.removeAttribute('aria-busy');
    const note = document.createElement('span');
    note.className = 'visually-hidden';
    note.textContent = ` (not sent: ${why})`;
    item.append(note);
    item.title = `Not sent: ${why}`;
    if (retry) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'retry';
      button.textContent = 'Retry';
      button.addEventListener('click', function onRetryClick() {
        item.remove();
        retry();
      });
      item.append(button);
    }
    this.scroll();
  }

  system(text: string): HTMLLIElement {
    return this.add('system', text);
  }

  private add(className: string, text: string, speaker?: string): HTMLLIElement {
    const item = document.createElement('li');
    item.className = className;
    if (speaker) {
      // Screen readers hear who said it; sighted users see it from the bubble's side.
      const who = document.createElement('span');
      who.className = 'visually-hidden';
      who.textContent = speaker;
      item.append(who);
    }
    const body = document.createElement('span');
    body.className = 'text';
    body.textContent = text;
    item.append(body);
    this.list.append(item);
    this.scroll();
    return item;
  }

  private scroll(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
