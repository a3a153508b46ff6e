use mailshield::engine::Engine;
fn main() {
    let pack = std::env::args().nth(1).unwrap();
    let e = Engine::builtin(&pack).unwrap();
    for line in std::io::stdin().lines() {
        let line = line.unwrap();
        let s = e.scan(line.as_bytes());
        println!("{line}");
        for f in &s.findings {
            println!(
                "  {} [{}..{}] {:?} score={} v={}",
                e.entity_name(f.entity),
                f.span.start,
                f.span.end,
                &line[f.span.start..f.span.end],
                f.score,
                f.validated
            );
        }
        for k in &s.keywords {
            println!(
                "  kw {} [{}..{}] footer={}",
                e.pack().keywords[k.list].words[k.word],
                k.span.start,
                k.span.end,
                k.in_footer
            );
        }
    }
}
