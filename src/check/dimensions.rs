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
                    self.push(diagnostics::dimension_value_twice(&v.node, v.span, prev));
                    continue;
                }
                seen.insert(key, v.span);
                values.push(v.node.clone());
            }
            self.dimensions.push(DimensionDef {
                name: d.name.node.clone(),
                values,
                default: None,
                span: item.span,
            });
            if let Some(v) = &d.default {
                let dim = self.dimensions.len() - 1;
                let default = self.dim_value(dim, v);
                self.dimensions[dim].default = default;
            }
        }
    }

    pub(super) fn dim_value(&mut self, dim: usize, v: &Spanned<String>) -> Option<usize> {
        let def = &self.dimensions[dim];
        if let Some(i) = def.values.iter().position(|x| same_key(x, &v.node)) {
            return Some(i);
        }
        let suggestion = did_you_mean(&v.node, def.values.iter().map(String::as_str));
        let d =
            diagnostics::not_a_dimension_value(&v.node, v.span, &def.name, &def.values, suggestion);
        self.push(d);
        None
    }
}
