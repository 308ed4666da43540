// The instructor's view of graded submissions (grades table): class table, per-criterion pass rates, evidence, CSV.
import { csvCell } from '../core/csv.ts'
import { scoreOf, type ScoreState } from '../core/score.ts'
import { stripControl } from '../core/text.ts'
import { classViewSection } from './class/class-view-page.ts'
import type { Lang, Localized } from '../core/i18n.ts'
import type { Grade } from './progress-store.ts'

export interface CriterionRate {
  readonly checkId: string
  readonly pass: number
  readonly total: number
  /** pass / total, 0 when nobody was graded on it. */
  readonly rate: number
}

/** A grade with its state, which the store does not keep: see gradeState. */
export interface ClassGrade extends Grade {
  readonly state: ScoreState
}

export interface ClassReport {
  readonly exercises: readonly string[]
  readonly batches: readonly string[]
  readonly grades: readonly ClassGrade[]
  readonly rates: readonly CriterionRate[]
}

/** What stands in for the score of an incomplete grade: its figures are only a floor, so no figure is shown. */
export const INCOMPLETE_SCORE: Localized = { fr: 'incomplète — à recorriger', en: 'incomplete — regrade' }

/**
 * Whether a stored grade is final. The store keeps no state (its schema predates the one rule), so it is derived the
 * way core/score.ts decides it: any inconclusive criterion leaves the grade incomplete, and a grader error
 * (grading/grade.ts errorGrade) has no final score either. A refusal at intake is a final 0.
 */
export function gradeState(g: Grade): ScoreState {
  if (g.verdict === 'error') return 'incomplete'
  return scoreOf(g.criteria.map((c) => ({ key: c.checkId, status: c.status }))).state
}

/** The latest grade of each learner per exercise and batch: regrading a submission replaces its row. */
export function latestGrades(grades: readonly Grade[]): Grade[] {
  const latest = new Map<string, Grade>()
  for (const g of grades) {
    const key = JSON.stringify([g.exercise, g.batch, g.learner])
    const prev = latest.get(key)
    if (!prev || g.id > prev.id) latest.set(key, g)
  }
  return [...latest.values()].sort((a, b) => a.exercise.localeCompare(b.exercise) || a.learner.localeCompare(b.learner))
}

/** Share of graded submissions passing each criterion, in the order criteria first appear. */
export function passRates(grades: readonly Grade[]): CriterionRate[] {
  const order: string[] = []
  const counts = new Map<string, { pass: number; total: number }>()
  for (const g of grades) {
    if (g.verdict !== 'graded') continue
    for (const c of g.criteria) {
      let n = counts.get(c.checkId)
      if (!n) (counts.set(c.checkId, (n = { pass: 0, total: 0 })), order.push(c.checkId))
      // Over decided criteria only, as class.json: an inconclusive one says nothing of the learner, a skip does not apply.
      if (c.status === 'inconclusive' || c.status === 'skip') continue
      n.total++
      if (c.status === 'pass') n.pass++
    }
  }
  return order.map((checkId) => {
    const n = counts.get(checkId)!
    return { checkId, pass: n.pass, total: n.total, rate: n.total ? n.pass / n.total : 0 }
  })
}

/** Strings of a fact value, stripped at any depth (the page shows summary and title; the rest goes to the API). */
function stripDeep(v: unknown): unknown {
  if (typeof v === 'string') return stripControl(v)
  if (Array.isArray(v)) return v.map(stripDeep)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [stripControl(k), stripDeep(x)]))
  return v
}

/**
 * A grade as the page and the CSV show it: learner names, rejection reasons (which quote file names) and evidence
 * (what a server or a learner's hook printed) stripped of escape sequences and controls. The page sets text with
 * textContent, so markup is harmless already; a bidi override or a NUL would still disguise what it shows.
 */
export function displaySafe(g: Grade): Grade {
  return {
    ...g,
    learner: stripControl(g.learner),
    exercise: stripControl(g.exercise),
    batch: g.batch === null ? null : stripControl(g.batch),
    reason: g.reason === null ? null : stripControl(g.reason),
    criteria: g.criteria.map((c) => ({
      ...c,
      checkId: stripControl(c.checkId),
      evidence: {
        ...c.evidence,
        lines: c.evidence.lines.map((l) => stripControl(l)),
        ...(c.evidence.facts ? { facts: stripDeep(c.evidence.facts) as typeof c.evidence.facts } : {}),
      },
    })),
  }
}

export function classReport(all: readonly Grade[]): ClassReport {
  const grades = latestGrades(all).map((g): ClassGrade => ({ ...displaySafe(g), state: gradeState(g) }))
  return {
    exercises: [...new Set(all.map((g) => stripControl(g.exercise)))].sort(),
    batches: [...new Set(all.map((g) => g.batch).filter((b): b is string => b !== null).map((b) => stripControl(b)))].sort(),
    grades,
    rates: passRates(grades),
  }
}

/** A quoted CSV field: text stripped and kept from running as a formula, numbers left numeric (core/csv.ts). */
export function csvField(v: string | number | null): string {
  return csvCell(v)
}

/**
 * One line per learner: identity, score, then each criterion's status (columns = union of criteria). An incomplete
 * grade's score cell holds words, so that no spreadsheet averages a floor as if it were a mark.
 */
export function gradesCsv(grades: readonly Grade[], lang: Lang = 'fr'): string {
  const criteria = passRates(grades).map((r) => r.checkId)
  for (const g of grades) for (const c of g.criteria) if (!criteria.includes(c.checkId)) criteria.push(c.checkId)
  const header = ['learner', 'exercise', 'batch', 'verdict', 'score', 'max_score', 'reason', ...criteria]
  const lines = [header.map(csvField).join(',')]
  for (const g of grades) {
    const byId = new Map(g.criteria.map((c) => [c.checkId, c.status]))
    lines.push(
      [g.learner, g.exercise, g.batch, g.verdict, gradeState(g) === 'incomplete' ? INCOMPLETE_SCORE[lang] : g.score, g.maxScore, g.reason, ...criteria.map((id) => byId.get(id) ?? '')]
        .map(csvField)
        .join(','),
    )
  }
  return lines.join('\r\n') + '\r\n'
}

/** Where the page's export link points: the API, or /instructor/class.csv (what the lab server's page uses). */
export const API_CSV_PATH = '/api/instructor/grades.csv'
export const CLASS_CSV_PATH = '/instructor/class.csv'

/** The page: static HTML + a small script reading /api/instructor/grades with the token of the page URL. */
export function instructorPage(storageKey: string, opts: { csvPath?: string; classMode?: boolean } = {}): string {
  const csvPath = opts.csvPath ?? API_CSV_PATH
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>smtp-tls-lab — résultats de la classe</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;line-height:1.4}table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}tr.learner{cursor:pointer}tr.learner:hover{background:#eef}
.pass{color:#137333}.fail{color:#b3261e}.warn{color:#a15c00}.inconclusive,.skip{color:#666}
.bar{display:inline-block;height:.7rem;background:#137333;vertical-align:middle}pre{background:#f5f5f5;padding:.5rem;white-space:pre-wrap}
</style></head>
<body><h1>Résultats de la classe</h1>
${opts.classMode ? classViewSection() : ''}
<p><label>Exercice <select id="exercise"><option value="">tous</option></select></label>
<label>Lot <select id="batch"><option value="">tous</option></select></label>
<a id="csv-export" href="#" download="notes.csv">Exporter en CSV</a></p>
<p id="message"></p>
<h2>Copies</h2><table id="class-table"><thead><tr><th>Apprenant</th><th>Exercice</th><th>Lot</th><th>Verdict</th><th>Note</th><th>Remarque</th></tr></thead><tbody></tbody></table>
<h2>Réussite par critère</h2><table id="criteria-rates"><thead><tr><th>Critère</th><th>Réussite</th><th></th></tr></thead><tbody></tbody></table>
<section id="drilldown" hidden><h2 id="drilldown-title"></h2><div id="drilldown-body"></div></section>
<script>
(function(){
var key=${JSON.stringify(storageKey)};var t=new URLSearchParams(location.search).get('token');
try{if(t){sessionStorage.setItem(key,t)}else{t=sessionStorage.getItem(key)}}catch(e){}
var $=function(id){return document.getElementById(id)};
function el(tag,text,cls){var e=document.createElement(tag);if(text!==undefined)e.textContent=String(text);if(cls)e.className=cls;return e}
function q(){var p=new URLSearchParams();if($('exercise').value)p.set('exercise',$('exercise').value);if($('batch').value)p.set('batch',$('batch').value);return p}
function fill(sel,values){var cur=sel.value;while(sel.options.length>1)sel.remove(1);values.forEach(function(v){var o=el('option',v);o.value=v;sel.appendChild(o)});sel.value=cur}
function note(g){return g.state==='incomplete'?${JSON.stringify(INCOMPLETE_SCORE.fr)}:g.score+'/'+g.maxScore}
function show(g){$('drilldown').hidden=false;$('drilldown-title').textContent=g.learner+' — '+g.exercise+' ('+note(g)+')';
var body=$('drilldown-body');body.textContent='';if(g.reason)body.appendChild(el('p',g.reason));
g.criteria.forEach(function(c){var d=el('div',undefined,'criterion');var f=c.evidence.facts||{};
d.appendChild(el('h3',c.checkId+' : '+c.status+(c.maxPoints?' ('+c.points+'/'+c.maxPoints+')':''),c.status));
if(f.summary)d.appendChild(el('p',f.summary));d.appendChild(el('pre',(c.evidence.lines||[]).join('\\n')));body.appendChild(d)});
$('drilldown').scrollIntoView()}
function load(){var p=q();var csv=new URLSearchParams(p);if(t)csv.set('token',t);$('csv-export').href=${JSON.stringify(csvPath)}+'?'+csv;
fetch('/api/instructor/grades?'+p,{headers:t?{authorization:'Bearer '+t}:{}}).then(function(r){return r.json().then(function(b){if(!r.ok)throw new Error(b.error||r.status);return b})}).then(function(r){
fill($('exercise'),r.exercises);fill($('batch'),r.batches);
var tb=$('class-table').tBodies[0];tb.textContent='';
if(!r.grades.length)$('message').textContent='Aucune copie notée pour l’instant : npx smtp-tls-lab grade --exercise ID --class DOSSIER';else $('message').textContent='';
r.grades.forEach(function(g){var tr=el('tr',undefined,'learner');[g.learner,g.exercise,g.batch||'',g.verdict,note(g),g.reason||''].forEach(function(v){tr.appendChild(el('td',v))});tr.onclick=function(){show(g)};tb.appendChild(tr)});
var rb=$('criteria-rates').tBodies[0];rb.textContent='';
r.rates.forEach(function(c){var tr=el('tr');tr.appendChild(el('td',c.checkId));tr.appendChild(el('td',Math.round(c.rate*100)+' % ('+c.pass+'/'+c.total+')'));var b=el('td');var bar=el('span',undefined,'bar');bar.style.width=(c.rate*10)+'rem';b.appendChild(bar);tr.appendChild(b);rb.appendChild(tr)})
}).catch(function(e){$('message').textContent='Impossible de lire les résultats : '+e.message})}
$('exercise').onchange=load;$('batch').onchange=load;load();
})();
</script>
</body></html>
`
}
