/// <reference path="./msimerson-stun.d.ts" />
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import stun, { type StunAddress, type StunRequest, type StunResponse } from '@msimerson/stun';

const { constants: c } = stun;
/** REQUESTED-TRANSPORT carries the IP protocol number in its top byte: 17 is UDP. */
const REQUESTED_TRANSPORT_UDP = 17 << 24;

export type TurnAnswer =
  | { ok: true; response: StunResponse }
  | { ok: false; code: number; reason: string; response: StunResponse };

/**
 * A minimal TURN client over UDP (RFC 8656) for tests: Allocate with long-term credentials,
 * CreatePermission, Send and Data indications. Built on @msimerson/stun's message codec; the
 * long-term key is MD5(username:realm:password) as RFC 8489 §9.2.2 defines it.
 */
export class TurnClient {
  private readonly socket: Socket = createSocket('udp4');
  private readonly pending = new Map<string, (response: StunResponse, packet: Buffer) => void>();
  private readonly dataListeners: Array<(from: StunAddress, data: Buffer) => void> = [];
  private key: Buffer | undefined;
  private auth: { username: string; realm: string; nonce: string } | undefined;

  private constructor(private readonly server: { host: string; port: number }) {
    this.socket.on('message', (packet) => this.receive(packet));
  }

  static async connect(server: { host: string; port: number }): Promise<TurnClient> {
    const client = new TurnClient(server);
    client.socket.bind(0, '127.0.0.1');
    await once(client.socket, 'listening');
    return client;
  }

  /** Allocates a UDP relay with `username`/`password`; answers the server's 401 challenge first. */
  async allocate(username: string, password: string): Promise<TurnAnswer> {
    const { response: challenge } = await this.request(this.allocateRequest());
    const error = challenge.getError();
    const realm = challenge.getRealm();
    const nonce = challenge.getNonce();
    if (error?.code !== 401 || realm === undefined || nonce === undefined) {
      throw new Error(`expected a 401 challenge with REALM and NONCE, got ${error?.code ?? 'success'}`);
    }
    this.auth = { username, realm, nonce };
    this.key = createHash('md5').update(`${username}:${realm}:${password}`).digest();
    return this.answer(await this.request(this.signed(this.allocateRequest())));
  }

  /** The relayed transport address of a successful Allocate. */
  static relayedAddress(answer: TurnAnswer): StunAddress {
    const attribute = answer.response.getAttribute(c.STUN_ATTR_XOR_RELAYED_ADDRESS!);
    if (!answer.ok || attribute === undefined) throw new Error('no XOR-RELAYED-ADDRESS in the answer');
    return attribute.value as StunAddress;
  }

  /** Lets `peer` send to the relay (and the relay send to it). */
  async createPermission(peer: { address: string; port: number }): Promise<TurnAnswer> {
    const request = stun.createMessage(c.STUN_CREATE_PERMISSION_REQUEST!);
    request.addAttribute(c.STUN_ATTR_XOR_PEER_ADDRESS!, peer.address, peer.port);
    return this.answer(await this.request(this.signed(request)));
  }

  /** Refreshes the allocation (`lifetime` 0 frees it). */
  async refresh(lifetimeSeconds: number): Promise<TurnAnswer> {
    const request = stun.createMessage(c.STUN_REFRESH_REQUEST!);
    request.addAttribute(c.STUN_ATTR_LIFETIME!, lifetimeSeconds);
    return this.answer(await this.request(this.signed(request)));
  }

  /** Sends `data` to `peer` through the relay (a Send indication: no answer). */
  send(peer: { address: string; port: number }, data: Buffer): void {
    const indication = stun.createMessage(c.STUN_SEND_INDICATION!);
    indication.addAttribute(c.STUN_ATTR_XOR_PEER_ADDRESS!, peer.address, peer.port);
    indication.addAttribute(c.STUN_ATTR_DATA!, data);
    this.socket.send(indication.toBuffer(), this.server.port, this.server.host);
  }

  /** Resolves with the next Data indication (what a peer sent to the relay). */
  nextData(timeoutMs = 5000): Promise<{ from: StunAddress; data: Buffer }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Data indication arrived')), timeoutMs);
      this.dataListeners.push((from, data) => {
        clearTimeout(timer);
        resolve({ from, data });
      });
    });
  }

  close(): void {
    this.socket.close();
  }

  private allocateRequest(): StunRequest {
    const request = stun.createMessage(c.STUN_ALLOCATE_REQUEST!);
    request.addAttribute(c.STUN_ATTR_REQUESTED_TRANSPORT!, REQUESTED_TRANSPORT_UDP);
    return request;
  }

  /** Adds the long-term credential attributes; MESSAGE-INTEGRITY must come after all others but FINGERPRINT. */
  private signed(request: StunRequest): StunRequest {
    if (!this.auth || !this.key) throw new Error('allocate first');
    request.addUsername(this.auth.username);
    request.addRealm(this.auth.realm);
    request.addNonce(this.auth.nonce);
    request.addMessageIntegrity(this.key);
    request.addFingerprint();
    return request;
  }

  private answer({ response, packet }: { response: StunResponse; packet: Buffer }): TurnAnswer {
    const error = response.getError();
    if (error) return { ok: false, code: error.code, reason: error.reason, response };
    // A success must be signed with the same key: proves the server derived the same password.
    if (!this.key || !hasValidIntegrity(packet, this.key)) {
      throw new Error('success response without a valid MESSAGE-INTEGRITY');
    }
    return { ok: true, response };
  }

  /** Sends a request and resolves with the response of the same transaction; retransmits as RFC 8489 §6.2.1 says. */
  private async request(request: StunRequest, timeoutMs = 5000): Promise<{ response: StunResponse; packet: Buffer }> {
    const id = request.transactionId.toString('hex');
    const packet = request.toBuffer();
    const answered = new Promise<{ response: StunResponse; packet: Buffer }>((resolve) =>
      this.pending.set(id, (response, raw) => resolve({ response, packet: raw })),
    );
    let resend: NodeJS.Timeout | undefined;
    let give: NodeJS.Timeout | undefined;
    const send = (delay: number) => {
      this.socket.send(packet, this.server.port, this.server.host);
      resend = setTimeout(() => send(delay * 2), delay);
    };
    send(250);
    const timedOut = new Promise<never>((_, reject) => {
      give = setTimeout(() => reject(new Error(`no answer to a STUN request within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(resend);
      clearTimeout(give);
      this.pending.delete(id);
    }
  }

  private receive(packet: Buffer): void {
    let message: StunResponse;
    try {
      message = stun.decode(packet);
    } catch {
      return; // not STUN (channel data): not used here
    }
    if (message.type === c.STUN_DATA_INDICATION) {
      const from = message.getAttribute(c.STUN_ATTR_XOR_PEER_ADDRESS!)?.value as StunAddress;
      const data = Buffer.from(message.getAttribute(c.STUN_ATTR_DATA!)?.value as Buffer);
      this.dataListeners.shift()?.(from, data);
      return;
    }
    this.pending.get(message.transactionId.toString('hex'))?.(message, packet);
  }
}

/**
 * Checks MESSAGE-INTEGRITY on the raw bytes (RFC 8489 §14.5): HMAC-SHA1 over the message up
 * to the attribute, with the header length counting up to the end of MESSAGE-INTEGRITY.
 */
function hasValidIntegrity(packet: Buffer, key: Buffer): boolean {
  const MESSAGE_INTEGRITY = 0x0008;
  for (let offset = 20; offset + 4 <= packet.length; ) {
    const type = packet.readUInt16BE(offset);
    const length = packet.readUInt16BE(offset + 2);
    if (type === MESSAGE_INTEGRITY && length === 20) {
      const signed = Buffer.from(packet.subarray(0, offset));
      signed.writeUInt16BE(offset + 24 - 20, 2);
      const expected = packet.subarray(offset + 4, offset + 24);
      return timingSafeEqual(createHmac('sha1', key).update(signed).digest(), expected);
    }
    offset += 4 + Math.ceil(length / 4) * 4;
  }
  return false;
}
