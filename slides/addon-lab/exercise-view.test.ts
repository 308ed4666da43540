// The exercise view's rendering and hint state: run blocks labelled with their terminal, no raw HTML let through.
import { describe, expect, it } from 'vitest'
import { HINTS_STORAGE_PREFIX, exerciseTitle, hintView, loadRevealed, nextHintLabel, renderExerciseText, revealNext, runService } from './exercise-view.ts'

function memory(): { getItem(k: string): string | null; setItem(k: string, v: string): void; data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) }
}

const TEXT = [
  '# Obtenir un certificat',
  '',
  'Demandez le certificat depuis la **toolbox** :',
  '',
  '```bash run=toolbox',
  "certbot certonly --server https://acme.lab.test:14000/dir -d 'mail.lab.test' && echo ok",
  '```',
  '',
  'Résultat attendu :',
  '',
  '```',
  'Successfully received certificate.',
  '```',
  '',
  '```bash run=mail',
  'postconf -e "smtpd_tls_cert_file = /etc/letsencrypt/live/x/fullchain.pem"',
  '```',
].join('\n')

describe('renderExerciseText', () => {
  it('shows each run block as code under the name of its terminal, and plain blocks as code without a label', () => {
    const html = renderExerciseText(TEXT, 'fr')
    expect(html).toContain('<h1>Obtenir un certificat</h1>')
    expect(html).toContain('<strong>toolbox</strong>')
    expect(html).toContain('<div class="exercise-run" data-service="toolbox"><div class="exercise-run__label">dans le terminal toolbox</div><pre><code class="language-bash">certbot certonly --server https://acme.lab.test:14000/dir -d &#39;mail.lab.test&#39; &amp;&amp; echo ok\n</code></pre></div>')
    expect(html).toContain('<div class="exercise-run__label">dans le terminal mail</div><pre><code class="language-bash">postconf -e &quot;smtpd_tls_cert_file')
    expect(html).toContain('<pre><code>Successfully received certificate.\n</code></pre>')
    expect(html.match(/exercise-run__label/g)).toHaveLength(2)
    expect(renderExerciseText(TEXT, 'en')).toContain('<div class="exercise-run__label">in the mail terminal</div>')
  })

  it('lets no raw HTML through: tags in prose, in code blocks or in the info string come out escaped', () => {
    const evil = [
      '<script>alert(1)</script>',
      '',
      'Texte <img src=x onerror=alert(1)> et [lien](javascript:alert(1))',
      '',
      '```bash run=mail"><script>x</script>',
      'echo "</code></pre><script>alert(2)</script>"',
      '```',
      '',
      '    <b>indenté</b>',
    ].join('\n')
    const html = renderExerciseText(evil, 'fr')
    expect(html).not.toMatch(/<script|<img|<b>|href="javascript/i)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(2)')
    expect(html).toContain('data-service="mailscriptxscript"')
    expect(html).toContain('<pre><code>&lt;b&gt;indenté&lt;/b&gt;\n</code></pre>')
  })

  it('strips terminal control sequences from the server’s text', () => {
    const html = renderExerciseText('Bonjour \x1b[31mrouge\x1b[0m \u202eabc\n\n```bash run=mail\necho \x1b]0;titre\x07ok\n```', 'fr')
    expect(html).not.toMatch(/[\x1b\u202e\x07]/)
    expect(html).toContain('Bonjour rouge abc')
    expect(html).toContain('echo ok')
  })
})

describe('runService', () => {
  it('reads run=SERVICE from the info string, and nothing from a plain block', () => {
    expect(runService('bash run=mail')).toBe('mail')
    expect(runService('bash run=toolbox extra')).toBe('toolbox')
    expect(runService('bash')).toBeNull()
    expect(runService('')).toBeNull()
    expect(runService('bash run=<>')).toBeNull()
  })
})

describe('hints', () => {
  const hints = [
    { fr: 'Le secret est dans `/etc/lab/tsig.key`.', en: 'The secret is in `/etc/lab/tsig.key`.' },
    { fr: 'Rechargez <b>Postfix</b>.', en: 'Reload Postfix.', run: { service: 'mail' as const, script: 'postfix reload\n' } },
  ]

  it('renders a hint inline, in the learner’s language, with its script labelled by service', () => {
    expect(hintView(hints[0]!, 'fr')).toEqual({ html: 'Le secret est dans <code>/etc/lab/tsig.key</code>.', runHtml: null })
    expect(hintView(hints[0]!, 'en').html).toBe('The secret is in <code>/etc/lab/tsig.key</code>.')
    const second = hintView(hints[1]!, 'fr')
    expect(second.html).toBe('Rechargez &lt;b&gt;Postfix&lt;/b&gt;.')
    expect(second.runHtml).toContain('<div class="exercise-run__label">dans le terminal mail</div><pre><code class="language-bash">postfix reload\n</code></pre>')
    expect(hintView({ fr: 'seulement en français' }, 'en').html).toBe('seulement en français')
  })

  it('labels the button with the next hint out of all, in both languages', () => {
    expect(nextHintLabel(0, 3, 'fr')).toBe('Indice suivant (1/3)')
    expect(nextHintLabel(1, 3, 'fr')).toBe('Indice suivant (2/3)')
    expect(nextHintLabel(1, 3, 'en')).toBe('Next hint (2/3)')
    expect(nextHintLabel(3, 3, 'en')).toBe('Next hint (3/3)')
  })

  it('reveals one hint at a time, never past the last, and remembers it per exercise', () => {
    const store = memory()
    expect(loadRevealed(store, 'ex-a', 2)).toBe(0)
    let n = revealNext(store, 'ex-a', 0, 2)
    expect(n).toBe(1)
    expect(loadRevealed(store, 'ex-a', 2)).toBe(1)
    expect(loadRevealed(store, 'ex-b', 2)).toBe(0)
    n = revealNext(store, 'ex-a', n, 2)
    n = revealNext(store, 'ex-a', n, 2)
    expect(n).toBe(2)
    expect(store.data.get(HINTS_STORAGE_PREFIX + 'ex-a')).toBe('2')
    // A stored count beyond today's hints (the manifest lost one) or garbage is clamped, not trusted.
    expect(loadRevealed(store, 'ex-a', 1)).toBe(1)
    store.setItem(HINTS_STORAGE_PREFIX + 'ex-c', 'abc')
    expect(loadRevealed(store, 'ex-c', 3)).toBe(0)
    store.setItem(HINTS_STORAGE_PREFIX + 'ex-c', '-4')
    expect(loadRevealed(store, 'ex-c', 3)).toBe(0)
    const broken = { getItem: () => { throw new Error('denied') }, setItem: () => { throw new Error('denied') } }
    expect(loadRevealed(broken, 'ex-a', 2)).toBe(0)
    expect(revealNext(broken, 'ex-a', 0, 2)).toBe(1)
    expect(loadRevealed(undefined, 'ex-a', 2)).toBe(0)
  })
})

describe('exerciseTitle', () => {
  it('uses the English title when asked and present, French otherwise, without control characters', () => {
    expect(exerciseTitle({ id: 'x', title: { fr: 'Titre', en: 'Title' } }, 'en')).toBe('Title')
    expect(exerciseTitle({ id: 'x', title: { fr: 'Titre\x1b[2J' } }, 'en')).toBe('Titre')
  })
})
