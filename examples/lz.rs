fn main() {
    use regex_automata::hybrid::dfa::DFA;
    use regex_automata::nfa::thompson;
    let p = r#"(?i-u:\b(?:password|passwd|passphrase|pwd|client_secret|secret_key|api_key|apikey|api-key|access_token|auth_token)\b)[ \t]*(?::|=|[ \t]is[ \t])[ \t]*(?P<value>'[^'\r\n]{4,128}'|"[^"\r\n]{4,128}"|[^\s'",;]{3,127}[^\s'",;.])"#;
    let hir = regex_syntax::Parser::new().parse(p).unwrap();
    for rev in [false, true] {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(4 << 20))
                    .reverse(rev)
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build_from_hir(&hir);
        match nfa {
            Err(e) => println!("nfa {rev}: {e}"),
            Ok(nfa) => {
                println!("nfa {rev} ok {}", nfa.memory_usage());
                let d = DFA::builder()
                    .configure(
                        DFA::config()
                            .unicode_word_boundary(true)
                            .cache_capacity(1 << 20)
                            .prefilter(None)
                            .match_kind(if rev {
                                regex_automata::MatchKind::All
                            } else {
                                regex_automata::MatchKind::LeftmostFirst
                            }),
                    )
                    .build_from_nfa(nfa);
                println!("dfa {:?}", d.err());
            }
        }
    }
}
