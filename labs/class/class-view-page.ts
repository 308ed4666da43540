// The live class section of /instructor on a class server: the learner × criterion grid of the exercise in view
// (the presenter's slide, or one chosen here), presence, stuck learners, evidence drill-down and sandbox reset.
// Plain DOM, text set with textContent; the socket reconnects by itself (server restarted, network back).
import { API, PAGES, WS } from '../../core/lab-protocol.ts'

export function classViewSection(): string {
  return `<section id="class-live">
<h2>Classe en direct <span id="class-conn" class="conn">déconnecté</span></h2>
<p><label>Exercice <select id="class-exercise"><option value="">celui de la diapositive du formateur</option></select></label>
<a href="${PAGES.joinSheet}" target="_blank">Feuille des liens (QR codes)</a></p>
<table id="class-grid"><thead></thead><tbody></tbody></table>
<section id="class-evidence" hidden><h3 id="class-evidence-title"></h3><div id="class-evidence-body"></div></section>
</section>
<style>
#class-grid td.pass{background:#e6f4ea}#class-grid td.fail{background:#fce8e6}#class-grid td.warn{background:#fef7e0}
#class-grid tr.stuck td:first-child{color:#a15c00;font-weight:600}.conn{font-size:.8rem;color:#666}
#class-grid tr.class-row{cursor:pointer}
</style>
<script>
(function(){
var $=function(id){return document.getElementById(id)};
function el(tag,text,cls){var e=document.createElement(tag);if(text!==undefined)e.textContent=String(text);if(cls)e.className=cls;return e}
var current=null;var ws=null;var delay=500;
fetch(${JSON.stringify(API.exercises)}).then(function(r){return r.json()}).then(function(list){list.forEach(function(x){var o=el('option',x.id+' — '+(x.title.fr||x.id));o.value=x.id;$('class-exercise').appendChild(o)})}).catch(function(){});
$('class-exercise').onchange=function(){if(ws&&ws.readyState===1)ws.send(JSON.stringify({type:'watch',exercise:$('class-exercise').value||null}))};
function render(s){current=s;var head=$('class-grid').tHead;head.textContent='';var hr=el('tr');
['Apprenant','Connecté','Lab'].concat(s.criteria).concat(['Réussis','']).forEach(function(h){hr.appendChild(el('th',h))});head.appendChild(hr);
var tb=$('class-grid').tBodies[0];tb.textContent='';
s.learners.forEach(function(l){var tr=el('tr',undefined,'class-row'+(l.stuck?' stuck':''));tr.dataset.learner=l.id;
tr.appendChild(el('td',l.name+(l.stuck?' (bloqué)':'')));tr.appendChild(el('td',l.connected?'oui':'non','connected'));tr.appendChild(el('td',l.lab+(l.running?' · vérification…':'')));
s.criteria.forEach(function(c){var st=l.criteria[c];var td=el('td',st||'·',st||'none');td.dataset.criterion=c;tr.appendChild(td)});
tr.appendChild(el('td',l.passCount+'/'+s.criteria.length,'pass-count'));
var rt=el('td');var b=el('button','Réinitialiser le bac à sable','reset');b.onclick=function(ev){ev.stopPropagation();if(!confirm('Réinitialiser le bac à sable de '+l.name+' ? Son travail dans le bac à sable sera perdu.'))return;
fetch(${JSON.stringify(API.classState)}+'/learners/'+encodeURIComponent(l.id)+'/reset',{method:'POST',headers:{'content-type':'application/json'},body:'{}'}).then(function(r){b.textContent=r.ok?'réinitialisation lancée':'échec ('+r.status+')'})};
rt.appendChild(b);tr.appendChild(rt);tr.onclick=function(){evidence(l)};tb.appendChild(tr)})}
function evidence(l){if(!current||!current.exercise)return;
fetch(${JSON.stringify(API.classState)}+'/learners/'+encodeURIComponent(l.id)+'/evidence?exercise='+encodeURIComponent(current.exercise)).then(function(r){return r.json()}).then(function(d){
$('class-evidence').hidden=false;$('class-evidence-title').textContent=l.name+' — '+current.exercise;var body=$('class-evidence-body');body.textContent='';
if(!d.attempt){body.appendChild(el('p','Aucune vérification pour cet exercice.'));return}
d.attempt.results.forEach(function(r){var dv=el('div',undefined,'criterion');dv.appendChild(el('h4',r.checkId+' : '+r.status,r.status));
if(r.result&&r.result.summary)dv.appendChild(el('p',r.result.summary.fr));dv.appendChild(el('pre',(r.evidence.lines||[]).join('\\n')));body.appendChild(dv)})})}
function connect(){ws=new WebSocket((location.protocol==='https:'?'wss:':'ws:')+'//'+location.host+${JSON.stringify(WS.class)});
ws.onopen=function(){$('class-conn').textContent='en direct';delay=500;if($('class-exercise').value)ws.send(JSON.stringify({type:'watch',exercise:$('class-exercise').value}))};
ws.onmessage=function(e){var m=JSON.parse(e.data);if(m.type==='snapshot')render(m.snapshot)};
ws.onclose=function(e){$('class-conn').textContent='déconnecté — reconnexion…';if(e.code===4401){$('class-conn').textContent='accès formateur requis';return}setTimeout(connect,delay);delay=Math.min(delay*2,5000)}}
connect();
})();
</script>`
}
