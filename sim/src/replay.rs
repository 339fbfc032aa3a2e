//! `replay.html`: a self-contained page (SVG and a little JavaScript, no
//! network) that animates a run over its layout, with a timeline slider,
//! and plots throughput and queue length over time.

use std::fmt::Write as _;

use layout::Layout;

use crate::report::{Frame, Metrics};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page for a run: the layout, the frames (one per second at most) and the figures.
pub fn html(layout: &Layout, frames: &[Frame], metrics: &Metrics) -> String {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for n in &layout.nodes {
        x0 = x0.min(n.position.x);
        y0 = y0.min(n.position.y);
        x1 = x1.max(n.position.x);
        y1 = y1.max(n.position.y);
    }
    if x0 > x1 {
        (x0, y0, x1, y1) = (0.0, 0.0, 1.0, 1.0);
    }
    let pad = 2.0;
    let (w, h) = (x1 - x0 + 2.0 * pad, y1 - y0 + 2.0 * pad);
    // y up in the layout, down on screen.
    let sx = |x: f64| x - x0 + pad;
    let sy = |y: f64| y1 - y + pad;
    let mut roads = String::new();
    for e in &layout.edges {
        let (a, b) = (layout.node(e.from).position, layout.node(e.to).position);
        let _ = write!(
            roads,
            "<line x1=\"{:.2}\" y1=\"{:.2}\" x2=\"{:.2}\" y2=\"{:.2}\"/>",
            sx(a.x),
            sy(a.y),
            sx(b.x),
            sy(b.y)
        );
    }
    let mut stations = String::new();
    for s in &layout.stations {
        if let Some(n) = s.interaction_nodes.first() {
            let p = layout.node(*n).position;
            let _ = write!(
                stations,
                "<rect class=\"st {}\" x=\"{:.2}\" y=\"{:.2}\" width=\"1.2\" height=\"1.2\"><title>{}</title></rect>",
                s.kind.as_str(),
                sx(p.x) - 0.6,
                sy(p.y) - 0.6,
                esc(&s.id)
            );
        }
    }
    // Frames: at most one per second, positions rounded to centimetres.
    let mut data = String::from("[");
    let mut last = None;
    for f in frames {
        if last.is_some_and(|t| f.t < t + 1000) {
            continue;
        }
        last = Some(f.t);
        let _ = write!(data, "[{},[", f.t);
        for (i, v) in f.vehicles.iter().enumerate() {
            let sep = if i > 0 { "," } else { "" };
            let _ = write!(data, "{sep}[{:.2},{:.2},{:.2}]", sx(v.x), sy(v.y), v.theta);
        }
        data.push_str("]],");
    }
    if data.ends_with(',') {
        data.pop();
    }
    data.push(']');
    let names = serde_json::to_string(
        &frames
            .first()
            .map(|f| f.vehicles.iter().map(|v| v.id.clone()).collect::<Vec<_>>())
            .unwrap_or_default(),
    )
    .unwrap_or_else(|_| "[]".into());
    let series = serde_json::to_string(&metrics.series).unwrap_or_else(|_| "{}".into());
    let summary = format!(
        "{} — {} delivered in {:.0} s ({:.1}/h), p95 latency {}, collisions {}, deadlocks {}",
        esc(&metrics.scenario),
        metrics.delivered,
        metrics.duration_s,
        metrics.throughput_per_hour,
        metrics.latency_s.p95.map_or("-".into(), |v| format!("{v:.0} s")),
        metrics.collisions,
        metrics.deadlocks
    );
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Yardmaster replay — {title}</title>
<style>
body{{font-family:sans-serif;margin:1em;background:#fafafa}}
#map{{width:100%;max-height:70vh;background:#fff;border:1px solid #ccc}}
#roads line{{stroke:#bbb;stroke-width:0.25}}
.st{{fill:#cde}} .st.charging{{fill:#fd8}} .st.parking{{fill:#ddd}} .st.pickup{{fill:#9d9}} .st.drop{{fill:#f99}} .st.inspection{{fill:#c9f}}
.veh{{fill:#1565c0;stroke:#fff;stroke-width:0.1}}
#controls{{margin:0.5em 0}} #slider{{width:60%}}
.plot{{width:45%;height:160px;background:#fff;border:1px solid #ccc;margin-right:1em}}
.plot polyline{{fill:none;stroke:#1565c0;stroke-width:1.5}}
</style></head><body>
<h1 id="summary">{summary}</h1>
<div id="controls"><button id="play">▶</button> <input id="slider" type="range" min="0" value="0"> <span id="clock">0 s</span></div>
<svg id="map" viewBox="0 0 {w:.2} {h:.2}"><g id="roads">{roads}</g><g id="stations">{stations}</g><g id="vehicles"></g></svg>
<div><svg class="plot" id="throughput" viewBox="0 0 400 160"><text x="5" y="15">delivered (cumulative)</text></svg><svg class="plot" id="queue" viewBox="0 0 400 160"><text x="5" y="15">queued orders</text></svg></div>
<script>
const FRAMES={data};
const NAMES={names};
const SERIES={series};
const NS="http://www.w3.org/2000/svg";
const g=document.getElementById("vehicles");
const dots=NAMES.map(n=>{{const c=document.createElementNS(NS,"circle");c.setAttribute("r","0.8");c.setAttribute("class","veh");const t=document.createElementNS(NS,"title");t.textContent=n;c.appendChild(t);g.appendChild(c);return c;}});
const slider=document.getElementById("slider");slider.max=Math.max(0,FRAMES.length-1);
function show(i){{const f=FRAMES[i];if(!f)return;document.getElementById("clock").textContent=(f[0]/1000).toFixed(0)+" s";f[1].forEach((p,k)=>{{dots[k].setAttribute("cx",p[0]);dots[k].setAttribute("cy",p[1]);}});}}
slider.oninput=()=>show(+slider.value);
let timer=null;document.getElementById("play").onclick=()=>{{if(timer){{clearInterval(timer);timer=null;return;}}timer=setInterval(()=>{{let i=+slider.value+1;if(i>=FRAMES.length){{clearInterval(timer);timer=null;return;}}slider.value=i;show(i);}},50);}};
function plot(id,ys){{const svg=document.getElementById(id);const xs=SERIES.t_s||[];if(!xs.length)return;const mx=Math.max(...xs,1),my=Math.max(...ys,1);const pl=document.createElementNS(NS,"polyline");pl.setAttribute("points",xs.map((x,k)=>(x/mx*390+5).toFixed(1)+","+(155-ys[k]/my*130).toFixed(1)).join(" "));svg.appendChild(pl);}}
plot("throughput",SERIES.delivered||[]);plot("queue",SERIES.queue||[]);
const m=/t=(\d+)/.exec(location.hash);const start=m?Math.max(0,FRAMES.findIndex(f=>f[0]>=(+m[1])*1000)):0;slider.value=start;show(start);
</script></body></html>
"##,
        title = esc(&metrics.scenario),
    )
}
