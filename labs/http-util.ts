// Small HTTP helpers for the lab server: JSON answers, errors the page can show, bounded request bodies.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Lang, Localized } from '../checker/types.ts'

/** Bodies are small JSON documents ({lab: 'postfix'}); anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024

/** An error answered as `{ error, code }`, the message in the learner's language (French first). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly text: Localized,
  ) {
    super(text.en)
    this.name = 'ApiError'
  }
}

export function requestLang(req: IncomingMessage, url: URL): Lang {
  const q = url.searchParams.get('lang')
  if (q === 'en' || q === 'fr') return q
  const accept = String(req.headers['accept-language'] ?? '')
  // French unless the browser prefers English over French.
  const en = accept.search(/\ben\b/i)
  const fr = accept.search(/\bfr\b/i)
  return en !== -1 && (fr === -1 || en < fr) ? 'en' : 'fr'
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  })
  res.end(payload)
}

export function sendError(res: ServerResponse, err: ApiError, lang: Lang): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendJson(res, err.status, { error: err.text[lang], code: err.code })
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Reads a JSON body of at most `limit` bytes; an empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    throw tooLarge(limit)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      // Stop reading: the rest of an oversized body is never buffered.
      req.pause()
      throw tooLarge(limit)
    }
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return {}
  const type = String(req.headers['content-type'] ?? 'application/json')
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', {
      fr: `Le corps de la requête doit être du JSON (Content-Type: application/json), reçu « ${type} ».`,
      en: `The request body must be JSON (Content-Type: application/json), got "${type}".`,
    })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new ApiError(400, 'bad_json', {
      fr: `Le corps de la requête n'est pas du JSON valide : ${(err as Error).message}`,
      en: `The request body is not valid JSON: ${(err as Error).message}`,
    })
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'body_too_large', {
    fr: `Corps de requête trop grand (limite ${limit} octets).`,
    en: `Request body too large (limit ${limit} bytes).`,
  })
}

export const notFound = (what: Localized): ApiError => new ApiError(404, 'not_found', what)
