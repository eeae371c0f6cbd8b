// The parts of @msimerson/stun (plain JavaScript, no bundled types) the TURN test client uses.
declare module '@msimerson/stun' {
  export interface StunAddress {
    address: string;
    port: number;
    family: 'IPv4' | 'IPv6';
  }
  export interface StunAttribute {
    type: number;
    value: unknown;
  }
  export class StunMessage {
    readonly type: number;
    readonly transactionId: Buffer;
    getAttribute(type: number): StunAttribute | undefined;
  }
  export class StunRequest extends StunMessage {
    addAttribute(type: number, ...values: unknown[]): StunAttribute;
    addUsername(username: string): unknown;
    addRealm(realm: string): unknown;
    addNonce(nonce: string): unknown;
    addMessageIntegrity(key: string | Buffer): boolean;
    addFingerprint(): boolean;
    toBuffer(): Buffer;
  }
  export class StunResponse extends StunMessage {
    getXorAddress(): StunAddress | undefined;
    getError(): { code: number; reason: string } | undefined;
    getRealm(): string | undefined;
    getNonce(): string | undefined;
  }
  export function createMessage(type: number, transaction?: Buffer): StunRequest;
  export function decode(message: Buffer): StunResponse;
  export function validateMessageIntegrity(message: StunMessage, key: string | Buffer): boolean;
  export const constants: Record<string, number>;
  const stun: {
    createMessage: typeof createMessage;
    decode: typeof decode;
    validateMessageIntegrity: typeof validateMessageIntegrity;
    constants: typeof constants;
  };
  export default stun;
}
