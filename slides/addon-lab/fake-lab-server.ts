// A scriptable stand-in for the lab server on 127.0.0.1 (random port), for the addon's unit tests:
// real HTTP and real WebSockets, with each route's behaviour set by the test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
  readonly body: string
}

export type HttpHandler = (req: RecordedRequest, res: ServerResponse) => void
export type WsHandler = (socket: WebSocket, url: URL) => void

export interface FakeLabServer {
  readonly port: number
  readonly origin: { protocol: string; host: string }
  readonly requests: RecordedRequest[]
  readonly wsUrls: URL[]
  http: HttpHandler
  ws: WsHandler
  close(): Promise<void>
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

export async function startFakeLabServer(): Promise<FakeLabServer> {
  const requests: RecordedRequest[] = []
  const wsUrls: URL[] = []
  const wss = new WebSocketServer({ noServer: true })
  const state: { http: HttpHandler; ws: WsHandler } = {
    http: (_req, res) => json(res, 404, { error: 'no route' }),
    ws: (socket) => socket.close(1011, 'no handler'),
  }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(rec)
      state.http(rec, res)
    })
  })
  server.on('upgrade', (req, sock, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    wsUrls.push(url)
    wss.handleUpgrade(req, sock, head, (ws) => state.ws(ws, url))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    origin: { protocol: 'http:', host: `127.0.0.1:${port}` },
    requests,
    wsUrls,
    get http() { return state.http },
    set http(h: HttpHandler) { state.http = h },
    get ws() { return state.ws },
    set ws(h: WsHandler) { state.ws = h },
    async close() {
      for (const c of wss.clients) c.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
