// Why a probe could not observe the server: every ProbeError becomes an `inconclusive` verdict, never a `fail`.
import type { InconclusiveReason, Localized } from '../types.ts'

export class ProbeError extends Error {
  constructor(
    readonly reason: Exclude<InconclusiveReason, 'bug' | 'not-applicable'>,
    message: string,
    /** What was exchanged before it went wrong. */
    readonly transcript: readonly string[] = [],
  ) {
    super(message)
    this.name = 'ProbeError'
  }

  withTranscript(transcript: readonly string[]): ProbeError {
    return this.transcript.length ? this : new ProbeError(this.reason, this.message, transcript)
  }
}

export function isProbeError(e: unknown): e is ProbeError {
  return e instanceof ProbeError
}

/** Socket errors are the network's answer, not the configuration's: map them to a reason. */
export function fromSocketError(e: NodeJS.ErrnoException, where: string): ProbeError {
  const code = e.code ?? ''
  if (code === 'ECONNREFUSED') return new ProbeError('refused', `${where}: connection refused`)
  if (code === 'ETIMEDOUT') return new ProbeError('timeout', `${where}: timed out`)
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ProbeError('protocol', `${where}: connection reset by the server`)
  if (['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL'].includes(code))
    return new ProbeError('unreachable', `${where}: ${code}`)
  return new ProbeError('protocol', `${where}: ${code || e.message}`)
}

const REASON_TEXT: Record<ProbeError['reason'], Localized> = {
  timeout: { fr: 'le serveur n’a pas répondu à temps', en: 'the server did not answer in time' },
  unreachable: { fr: 'le serveur est injoignable', en: 'the server is unreachable' },
  refused: { fr: 'la connexion a été refusée (rien n’écoute sur ce port ?)', en: 'the connection was refused (is anything listening on this port?)' },
  temporary: { fr: 'le serveur a répondu par une erreur temporaire (4xx)', en: 'the server answered with a temporary error (4xx)' },
  protocol: { fr: 'le serveur a répondu de façon inattendue', en: 'the server answered in an unexpected way' },
}

/** "Could not tell: …" addressed to the learner, never blaming the configuration. */
export function inconclusiveSummary(e: ProbeError, what: Localized): Localized {
  const r = REASON_TEXT[e.reason]
  return {
    fr: `Impossible de vérifier ${what.fr} : ${r.fr} (${e.message}).`,
    en: `Could not check ${what.en}: ${r.en} (${e.message}).`,
  }
}
