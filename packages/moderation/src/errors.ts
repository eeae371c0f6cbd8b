/** A refused moderation operation, with a code the HTTP layer maps to a status. */
export class ModerationError extends Error {
  override readonly name = 'ModerationError';
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}
