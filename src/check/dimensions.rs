//! The dimensions pass: each dimension's ordered values, and resolving a value written in a cell or a limit.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn dimensions(&mut self) {
        let book = self.book;
        for item in &book.items {
            let Item::Dimension(d) = &item.node else {
                continue;
            };
            if self.dim_names.get(&d.name.node) != Some(self.dimensions.len()) {
                // A duplicate; reported by `names`. Keep indexes aligned with the first.
                if self
                    .dim_names
                    .get(&d.name.node)
                    .is_some_and(|i| i < self.dimensions.len())
                {
                    continue;
                }
            }
            let mut seen: HashMap<String, Span> = HashMap::new();
            let mut values = Vec::new();
            for v in &d.values {
                let key = name_key(&v.node);
                if let Some(prev) = seen.get(&key) {
                    let prev = *prev;
                    self.push(
                        Diagnostic::new(
                            Code::Duplicate,
                            format!("dimension value `{}` is listed twice", v.node),
                        )
                        .label(v.span, "listed again")
                        .label(prev, "first listed here")
                        .help("list each value once, lowest first"),
                    );
                    continue;
                }
                seen.insert(key, v.span);
                values.push(v.node.clone());
            }
            self.dimensions.push(DimensionDef {
                name: d.name.node.clone(),
                values,
                span: item.span,
            });
        }
    }

    pub(super) fn dim_value(&mut self, dim: usize, v: &Spanned<String>) -> Option<usize> {
        let def = &self.dimensions[dim];
        if let Some(i) = def.values.iter().position(|x| same_key(x, &v.node)) {
            return Some(i);
        }
        let suggestion = did_you_mean(&v.node, def.values.iter().map(String::as_str));
        let name = def.name.clone();
        let listed = def.values.join(", ");
        self.push(
            Diagnostic::new(
                Code::UnknownDimensionValue,
                format!("`{}` is not a value of dimension `{name}`", v.node),
            )
            .label(v.span, format!("not in `{name}`"))
            .help(match suggestion {
                Some(s) => format!("did you mean `{s}`? `{name}` has: {listed}"),
                None => format!("`{name}` has: {listed}"),
            }),
        );
        None
    }
}
