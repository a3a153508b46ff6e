//! Resolving overlapping findings into disjoint spans.
//!
//! The rule: findings whose spans overlap (share at least one byte) merge
//! into one finding covering the union of their spans, of the type with
//! the highest rank (the more sensitive type); among equal ranks the
//! higher score wins. Spans that only touch stay separate, so several
//! adjacent values are each replaced. After this step no byte belongs to
//! two findings, so no rewrite can splice placeholders or leave a digit of
//! one value behind.

use crate::rules::Entity;

use super::Finding;

/// Merges overlapping findings of one field in place; the result is sorted
/// by start.
pub(crate) fn resolve(findings: &mut Vec<Finding>, entities: &[Entity]) {
    if findings.len() < 2 {
        return;
    }
    findings.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        match out.last_mut() {
            Some(last)
                if f.field == last.field && f.span.start < last.span.end =>
            {
                let end = last.span.end.max(f.span.end);
                if wins(&f, last, entities) {
                    *last = Finding { span: last.span, ..f };
                }
                last.span.end = end;
            }
            _ => out.push(f),
        }
    }
    *findings = out;
}

fn wins(a: &Finding, b: &Finding, entities: &[Entity]) -> bool {
    let (ra, rb) = (entities[a.entity].rank, entities[b.entity].rank);
    ra > rb || (ra == rb && a.score > b.score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::MaskStyle;
    use crate::scan::Span;

    fn f(entity: usize, start: usize, end: usize, score: f32) -> Finding {
        Finding {
            entity,
            detector: 0,
            field: 0,
            span: Span { start, end },
            score,
            validated: false,
        }
    }

    #[test]
    fn more_sensitive_type_takes_the_union() {
        let ents = vec![
            Entity { name: "EMAIL".into(), rank: 70, mask: MaskStyle::Email },
            Entity { name: "SSN".into(), rank: 89, mask: MaskStyle::LastFour },
        ];
        let mut v =
            vec![f(0, 0, 23, 0.9), f(1, 0, 11, 0.8), f(0, 30, 40, 0.9)];
        resolve(&mut v, &ents);
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].entity, v[0].span), (1, Span { start: 0, end: 23 }));
        assert_eq!(v[1].span, Span { start: 30, end: 40 });
        // Touching spans stay apart.
        let mut v = vec![f(0, 0, 5, 0.9), f(0, 5, 9, 0.9)];
        resolve(&mut v, &ents);
        assert_eq!(v.len(), 2);
    }
}
