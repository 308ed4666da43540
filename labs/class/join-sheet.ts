// The printable join sheet: per learner, a name, a link and its QR code (the `qrcode` package, as inline SVG).
import QRCode from 'qrcode'
import { escapeHtml, stripControl } from '../../core/text.ts'

export interface JoinEntry {
  readonly name: string
  readonly url: string
}

export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 })
}

/** One card per learner, two per row on A4; the fingerprint lets learners check the certificate before accepting it. */
export async function joinSheet(entries: readonly JoinEntry[], opts: { fingerprint?: string | null; title?: string } = {}): Promise<string> {
  const cards = await Promise.all(
    entries.map(async (e) => {
      const name = escapeHtml(stripControl(e.name))
      return `<section class="card"><h2>${name}</h2><div class="qr">${await qrSvg(e.url)}</div><p class="link"><a href="${escapeHtml(e.url)}">${escapeHtml(e.url)}</a></p>
<p class="note">Ce lien est personnel : il ouvre votre cours et votre bac à sable. Ne le partagez pas.</p></section>`
    }),
  )
  const fp = opts.fingerprint
    ? `<p class="fp">Certificat du serveur — empreinte SHA-256 à comparer avant d’accepter l’avertissement du navigateur :<br><code>${escapeHtml(opts.fingerprint)}</code></p>`
    : ''
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>${escapeHtml(opts.title ?? 'smtp-tls-lab — liens de la classe')}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1cm}h1{font-size:1.3rem}.cards{display:grid;grid-template-columns:1fr 1fr;gap:.8cm}
.card{border:1px dashed #888;padding:.5cm;break-inside:avoid}.card h2{margin:0 0 .3cm;font-size:1.2rem}.qr svg{width:4.5cm;height:4.5cm}
.link{word-break:break-all;font-family:monospace;font-size:.8rem}.note{font-size:.75rem;color:#555}.fp code{word-break:break-all}
@media print{a{color:inherit;text-decoration:none}}
</style></head><body><h1>${escapeHtml(opts.title ?? 'smtp-tls-lab — liens de la classe')}</h1>${fp}
<div class="cards">
${cards.join('\n')}
</div></body></html>
`
}
