import type { WebSocket } from 'ws';
import { CloseCode } from '@strangers/protocol';

export type SendOutcome = 'sent' | 'cut' | 'closed';

/**
 * The one send-or-cut, for `/ws` and the room alike (backpressure). A client that does not
 * read would make us buffer for it without bound; past `maxBufferedBytes` unsent it is cut
 * instead (terminate: its `close` fires, so its owner reacts as to any drop), which costs
 * nobody else anything. Nothing is sent on a socket that is not open.
 */
export function sendOrCut(socket: WebSocket, data: string, maxBufferedBytes: number): SendOutcome {
  if (socket.readyState !== socket.OPEN) return 'closed';
  if (socket.bufferedAmount > maxBufferedBytes) {
    socket.terminate();
    return 'cut';
  }
  socket.send(data);
  return 'sent';
}

/** The binary guard: both endpoints are text-only, so a binary frame closes with 1003. True when it did. */
export function refuseBinary(socket: WebSocket, isBinary: boolean): boolean {
  if (!isBinary) return false;
  socket.close(CloseCode.unsupportedData, 'binary frames are not supported');
  return true;
}
