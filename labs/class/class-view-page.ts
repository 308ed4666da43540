// The live class section of /instructor on a class server: the learner × criterion grid of the exercise in view
// (the presenter's slide, or one chosen here), presence, stuck learners, evidence drill-down, sandbox reset, and the
// instructor's faults (inject / clear one in a learner's sandbox, answered when the script is done: fault-routes.ts).
// Plain DOM, text set with textContent; the socket reconnects by itself (server restarted, network back).
import { API, PAGES, WS } from '../../core/lab-protocol.ts'
import { FAULTS_PATH } from './fault-routes.ts'

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
#class-grid tr.class-row{cursor:pointer}.fault-result{display:block;font-size:.8rem;white-space:pre-wrap;max-width:28rem}
.fault-result.ok{color:#137333}.fault-result.ko{color:#b3261e}
</style>
<script>
(function(){
var $=function(id){return document.getElementById(id)};
function el(tag,text,cls){var e=document.createElement(tag);if(text!==undefined)e.textContent=String(text);if(cls)e.className=cls;return e}
var current=null;var ws=null;var delay=500;
var L=(new URLSearchParams(location.search).get('lang')||(navigator.language||'fr')).slice(0,2)==='en'?'en':'fr';
var T={fr:{faults:'Pannes',choose:'— panne —',inject:'Injecter',clear:'Réparer',busy:'en cours…',none:'aucune panne pour ce lab',fail:'échec'},
en:{faults:'Faults',choose:'— fault —',inject:'Inject',clear:'Clear',busy:'running…',none:'no fault for this lab',fail:'failed'}}[L];
var faults=[];var fstate={};
fetch(${JSON.stringify(FAULTS_PATH)}).then(function(r){return r.json()}).then(function(d){faults=d.faults.filter(function(f){return f.applies});if(current)render(current)}).catch(function(){});
function faultCell(l){var td=el('td',undefined,'faults');var st=fstate[l.id]||(fstate[l.id]={fault:'',text:'',cls:''});
if(!faults.length){td.appendChild(el('span',T.none));return td}
var sel=el('select',undefined,'fault-select');sel.appendChild(el('option',T.choose));sel.options[0].value='';
faults.forEach(function(f){var o=el('option',f.name);o.value=f.name;o.title=f.title[L];sel.appendChild(o)});sel.value=st.fault;
sel.onclick=function(ev){ev.stopPropagation()};sel.onchange=function(){st.fault=sel.value};td.appendChild(sel);
var out=el('span',st.text,'fault-result '+st.cls);
function run(action){return function(ev){ev.stopPropagation();if(!st.fault)return;var name=st.fault;st.text=action+' '+name+' : '+T.busy;st.cls='';out.textContent=st.text;out.className='fault-result';
fetch(${JSON.stringify(API.classState)}+'/learners/'+encodeURIComponent(l.id)+'/faults/'+encodeURIComponent(name)+'/'+action+'?lang='+L,{method:'POST',headers:{'content-type':'application/json'},body:'{}'})
.then(function(r){return r.json().then(function(b){return{r:r,b:b}})}).then(function(x){var ok=x.r.ok&&x.b.ok;
st.text=(ok?'✓ ':'✗ ')+action+' '+name+(x.r.ok?'':' ('+x.r.status+')')+' : '+(x.b.output||x.b.error||T.fail);st.cls=ok?'ok':'ko';
var live=document.querySelector('#class-grid tr[data-learner="'+CSS.escape(l.id)+'"] .fault-result');if(live){live.textContent=st.text;live.className='fault-result '+st.cls}})
.catch(function(e){st.text='✗ '+T.fail+' : '+e.message;st.cls='ko';var live=document.querySelector('#class-grid tr[data-learner="'+CSS.escape(l.id)+'"] .fault-result');if(live){live.textContent=st.text;live.className='fault-result '+st.cls}})}}
var bi=el('button',T.inject,'fault-inject');bi.onclick=run('inject');var bc=el('button',T.clear,'fault-clear');bc.onclick=run('clear');
td.appendChild(bi);td.appendChild(bc);td.appendChild(out);return td}
fetch(${JSON.stringify(API.exercises)}).then(function(r){return r.json()}).then(function(list){list.forEach(function(x){var o=el('option',x.id+' — '+(x.title.fr||x.id));o.value=x.id;$('class-exercise').appendChild(o)})}).catch(function(){});
$('class-exercise').onchange=function(){if(ws&&ws.readyState===1)ws.send(JSON.stringify({type:'watch',exercise:$('class-exercise').value||null}))};
function render(s){current=s;var head=$('class-grid').tHead;head.textContent='';var hr=el('tr');
['Apprenant','Connecté','Lab'].concat(s.criteria).concat(['Réussis',T.faults,'']).forEach(function(h){hr.appendChild(el('th',h))});head.appendChild(hr);
var tb=$('class-grid').tBodies[0];tb.textContent='';
s.learners.forEach(function(l){var tr=el('tr',undefined,'class-row'+(l.stuck?' stuck':''));tr.dataset.learner=l.id;
tr.appendChild(el('td',l.name+(l.stuck?' (bloqué)':'')));tr.appendChild(el('td',l.connected?'oui':'non','connected'));tr.appendChild(el('td',l.lab+(l.running?' · vérification…':'')));
s.criteria.forEach(function(c){var st=l.criteria[c];var td=el('td',st||'·',st||'none');td.dataset.criterion=c;tr.appendChild(td)});
tr.appendChild(el('td',l.passCount+'/'+s.criteria.length,'pass-count'));
tr.appendChild(faultCell(l));
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
