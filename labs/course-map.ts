// The home page as a course map: each module with its sections, each exercise with the learner's state and a link
// to its lab slide. French by default; `?lang=en` switches the page's own words (the decks stay in French).
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { findExercise } from '../exercises/index.ts'
import { escapeHtml as esc } from '../core/text.ts'

/** Written by `slides build` next to each deck's index.html (slides/deck-build.ts COURSE_OUTLINE). */
export const COURSE_OUTLINE_FILE = 'course-outline.json'

export interface CourseOutline {
  readonly deck: string
  readonly title: string
  readonly sections: ReadonlyArray<{ readonly title: string; readonly slide: number; readonly exercises: readonly string[] }>
}

export interface MapDeck {
  readonly name: string
  readonly title: string
  readonly outline?: CourseOutline | null
}

/** The outline of a built deck, or null when the build predates outlines or the file is not ours. */
export function readOutline(distDir: string, deck: string): CourseOutline | null {
  const file = path.join(distDir, deck, COURSE_OUTLINE_FILE)
  if (!existsSync(file)) return null
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as CourseOutline
    return Array.isArray(o.sections) ? o : null
  } catch {
    return null
  }
}

/** Every word of the page's chrome, in both languages (the script swaps them for ?lang=en). */
export const HOME_TEXT = {
  fr: {
    lead: 'Sécuriser un serveur de messagerie avec TLS : le cours et son laboratoire.',
    map: 'Plan du cours',
    open: 'Ouvrir le support',
    lab: 'lab',
    notStarted: 'non commencé',
    inProgress: 'en cours',
    done: 'terminé',
    offline: 'Progression indisponible : ouvrez cette page avec le lien qui contient votre jeton.',
    instructor: 'Formateur',
    results: 'Résultats de la classe',
    noDeck: 'Aucun support construit. Lancez',
    exercises: 'exercices',
  },
  en: {
    lead: 'Securing a mail server with TLS: the course and its lab.',
    map: 'Course map',
    open: 'Open the deck',
    lab: 'lab',
    notStarted: 'not started',
    inProgress: 'in progress',
    done: 'done',
    offline: 'Progress unavailable: open this page with the link that holds your token.',
    instructor: 'Instructor',
    results: 'Class results',
    noDeck: 'No deck built yet. Run',
    exercises: 'exercises',
  },
} as const

type Key = keyof (typeof HOME_TEXT)['fr']

const t = (k: Key): string => `<span data-t="${k}">${esc(HOME_TEXT.fr[k])}</span>`

function exerciseItem(deck: string, id: string): string {
  const title = findExercise(id)?.manifest.title
  const fr = title?.fr ?? id
  const en = title?.en ?? fr
  return `<li class="ex" data-ex="${esc(id)}"><a class="lab" data-deck="/decks/${encodeURIComponent(deck)}/" data-hash="#/lab-${esc(id)}" href="/decks/${encodeURIComponent(deck)}/#/lab-${esc(id)}">`
    + `<span data-fr="${esc(fr)}" data-en="${esc(en)}">${esc(fr)}</span></a> <span class="state" data-state="unknown">${t('notStarted')}</span></li>`
}

export function courseMapHtml(decks: readonly MapDeck[], opts: { instructor: boolean; storageKey: string }): string {
  const modules = decks.length
    ? decks.map((d) => {
      const sections = (d.outline?.sections ?? [])
        .map((s) => `<li class="section"><a class="deck" data-deck="/decks/${encodeURIComponent(d.name)}/" data-hash="#/${s.slide}" href="/decks/${encodeURIComponent(d.name)}/#/${s.slide}">${esc(s.title)}</a>`
          + (s.exercises.length ? `<ul class="exercises">${s.exercises.map((id) => exerciseItem(d.name, id)).join('')}</ul>` : '') + '</li>')
        .join('\n')
      const count = (d.outline?.sections ?? []).reduce((n, s) => n + s.exercises.length, 0)
      return `<section class="module"><h2><a class="deck" data-deck="/decks/${encodeURIComponent(d.name)}/" data-hash="" href="/decks/${encodeURIComponent(d.name)}/">${esc(d.title)}</a></h2>`
        + `<p class="meta">${count} ${t('exercises')} · <span class="progress" data-deck-progress="${esc(d.name)}"></span></p><ol class="sections">${sections}</ol></section>`
    }).join('\n')
    : `<p>${t('noDeck')} <code>npx smtp-tls-lab slides build</code>.</p>`
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>smtp-tls-lab</title>
<style>
body{font-family:"DejaVu Sans",system-ui,sans-serif;max-width:60rem;margin:2.5rem auto;padding:0 1.2rem;line-height:1.5;color:#181818;font-size:17px}
h1{font-weight:400;font-size:2.4rem;margin:0 0 .3rem}h2{font-weight:400;font-size:1.5rem;margin:0 0 .2rem}
a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}code{background:#eee;padding:0 .2em}
.module{border-left:4px solid #0d9488;background:rgba(13,148,136,.06);border-radius:0 8px 8px 0;padding:1rem 1.2rem;margin:1.2rem 0}
.meta{margin:.1rem 0 .6rem;color:#555}.sections{margin:0;padding-left:1.4rem}.section{margin:.3rem 0}
.exercises{list-style:none;padding-left:.6rem;margin:.2rem 0 .5rem}.ex{margin:.15rem 0}
.state{font-size:.85rem;border-radius:999px;padding:0 .55rem;margin-left:.4rem;background:#e5e7eb;color:#374151;white-space:nowrap}
.state[data-state=progress]{background:#fef3c7;color:#92400e}.state[data-state=done]{background:#d1fae5;color:#065f46}
.notice{color:#92400e}
</style></head>
<body><h1>smtp-tls-lab</h1>
<p>${t('lead')}</p>
<h2>${t('map')}</h2>
<p class="notice" hidden id="progress-notice">${t('offline')}</p>
${modules}
${opts.instructor ? `<h2>${t('instructor')}</h2><ul><li><a class="deck" data-deck="/instructor" data-hash="" href="/instructor">${t('results')}</a></li></ul>` : ''}
<script>
(function(){
var TEXT=${JSON.stringify(HOME_TEXT)};
var q=new URLSearchParams(location.search);var lang=q.get('lang')==='en'?'en':'fr';var L=TEXT[lang];
document.documentElement.lang=lang;
document.querySelectorAll('[data-t]').forEach(function(e){e.textContent=L[e.getAttribute('data-t')]});
document.querySelectorAll('[data-en]').forEach(function(e){e.textContent=e.getAttribute('data-'+lang)});
// The token arrives once in this page's URL; links carry it (before the slide's #/route) so each deck reaches the lab.
var t=q.get('token');var key=${JSON.stringify(opts.storageKey)};
try{if(t){sessionStorage.setItem(key,t)}else{t=sessionStorage.getItem(key)}}catch(e){}
document.querySelectorAll('a[data-deck]').forEach(function(a){var p=new URLSearchParams();if(t)p.set('token',t);if(lang==='en')p.set('lang','en');var s=p.toString();a.href=a.getAttribute('data-deck')+(s?'?'+s:'')+a.getAttribute('data-hash')});
function show(ex){document.querySelectorAll('li.ex').forEach(function(li){var p=ex[li.getAttribute('data-ex')];var st=li.querySelector('.state');
var k=p&&p.passed?'done':p&&p.attempts>0?'progress':'none';st.setAttribute('data-state',k);st.textContent=L[k==='done'?'done':k==='progress'?'inProgress':'notStarted']});
document.querySelectorAll('[data-deck-progress]').forEach(function(e){var lis=e.closest('section').querySelectorAll('li.ex');var n=0;lis.forEach(function(li){if(li.querySelector('.state').getAttribute('data-state')==='done')n++});e.textContent=n+' / '+lis.length+' '+L.done})}
var h={accept:'application/json'};if(t)h.authorization='Bearer '+t;
fetch('/api/progress',{headers:h}).then(function(r){if(!r.ok)throw new Error(r.status);return r.json()}).then(function(p){show(p.exercises||{})}).catch(function(){document.getElementById('progress-notice').hidden=false;show({})});
})();
</script>
</body></html>
`
}
