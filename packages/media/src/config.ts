import { z } from 'zod';
import { envField, parseEnv } from '@strangers/config';

/** A comma-separated list; entries trimmed, empty ones dropped. */
const urlList = (schemes: readonly string[]) =>
  z
    .string()
    .default('')
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .pipe(z.array(iceUrl(schemes)));

/**
 * One STUN/TURN URI (RFC 7064, RFC 7065): `scheme:host[:port][?transport=udp|tcp]`. Checked
 * here so a typo fails at boot instead of as calls that never connect.
 */
function iceUrl(schemes: readonly string[]) {
  const pattern = /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/;
  return z
    .string()
    .regex(pattern, 'must be scheme:host[:port][?transport=udp|tcp]')
    .refine((url) => schemes.includes(url.slice(0, url.indexOf(':'))), `scheme must be one of ${schemes.join(', ')}`)
    .refine((url) => !/^stuns?:.*\?/.test(url), 'stun URIs take no ?transport');
}

/** Every environment variable the media building blocks read (docs/video.md mirrors it). */
export const mediaEnvSchema = z
  .object({
    /** coturn's `static-auth-secret`: the TURN REST credentials are signed with it. Server-side only. */
    TURN_SECRET: z.string().min(16, 'at least 16 characters').optional(),
    /** TURN servers given to clients, e.g. `turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349`. */
    TURN_URLS: urlList(['turn', 'turns']),
    /** STUN servers given to clients (left out when relay-only: they would only reveal addresses). */
    STUN_URLS: urlList(['stun', 'stuns']),
    /** Lifetime of a TURN credential (default 4 h); docs/video.md says what happens to a call that outlives it. */
    TURN_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(4 * 3600),
    /** Force relayed media: clients get `iceTransportPolicy: 'relay'` and only relay candidates are relayed. */
    MEDIA_RELAY_ONLY: envField.boolean(false),
    /** `signal` frames one session may send: token bucket refill per second… */
    SIGNAL_RATE_PER_SECOND: envField.positiveInt(10),
    /** …and burst (ICE trickling sends a dozen or two candidates at once). */
    SIGNAL_RATE_BURST: envField.positiveInt(40),
    /** Largest `signal` data, in bytes of its JSON (PROTOCOL.md §4: 16 KiB). */
    SIGNAL_MAX_BYTES: z.coerce.number().int().min(1024).max(16 * 1024).default(16 * 1024),
  })
  .refine((env) => env.TURN_URLS.length === 0 || env.TURN_SECRET !== undefined, {
    path: ['TURN_SECRET'],
    message: 'required when TURN_URLS is set',
  })
  .refine((env) => !env.MEDIA_RELAY_ONLY || env.TURN_URLS.length > 0, {
    path: ['MEDIA_RELAY_ONLY'],
    message: 'needs TURN_URLS (relay-only media goes through TURN)',
  });

export type MediaEnv = z.output<typeof mediaEnvSchema>;

/** The media settings in the shape the modules take. */
export interface MediaConfig {
  turn: TurnConfig;
  signal: SignalLimits;
}

export interface TurnConfig {
  /** Undefined when no TURN server is configured (STUN only, or no ICE servers at all). */
  secret: string | undefined;
  turnUrls: string[];
  stunUrls: string[];
  ttlSeconds: number;
  relayOnly: boolean;
}

export interface SignalLimits {
  perSecond: number;
  burst: number;
  maxBytes: number;
}

/** Reads and validates the media settings from the environment (throws ConfigError naming every bad variable). */
export function loadMediaConfig(env: NodeJS.ProcessEnv = process.env): MediaConfig {
  const parsed = parseEnv(mediaEnvSchema, env);
  return {
    turn: {
      secret: parsed.TURN_SECRET,
      turnUrls: parsed.TURN_URLS,
      stunUrls: parsed.STUN_URLS,
      ttlSeconds: parsed.TURN_TTL_SECONDS,
      relayOnly: parsed.MEDIA_RELAY_ONLY,
    },
    signal: {
      perSecond: parsed.SIGNAL_RATE_PER_SECOND,
      burst: parsed.SIGNAL_RATE_BURST,
      maxBytes: parsed.SIGNAL_MAX_BYTES,
    },
  };
}
