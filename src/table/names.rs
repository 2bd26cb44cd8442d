//! Names to ids, once and off the hot path: products, plans, packs, units, dimension values and cells.

use super::*;

impl RatingTable {
    /// The product a written name means: its slug, display name or an alias (`aka`) in any
    /// case, spacing or punctuation (`Sora 2 pro`, `sora2pro`).
    pub fn find_product(&self, name: &str) -> Result<ProductId, NameError> {
        let items = self.products.iter().map(|p| {
            (
                p.slug.as_str(),
                p.display.as_str(),
                p.aliases.iter().map(String::as_str),
            )
        });
        find_named_with_aliases("product", name, items).map(|i| i as ProductId)
    }

    /// The plan a written name means (as [`find_product`](Self::find_product)).
    pub fn find_plan(&self, name: &str) -> Result<PlanId, NameError> {
        let items = self
            .plans
            .iter()
            .map(|p| (p.slug.as_str(), p.display.as_str()));
        find_named("plan", name, items).map(|i| i as PlanId)
    }

    /// The pack a written name means (as [`find_product`](Self::find_product)).
    pub fn find_pack(&self, name: &str) -> Result<PackId, NameError> {
        let items = self
            .packs
            .iter()
            .map(|p| (p.slug.as_str(), p.display.as_str()));
        find_named("pack", name, items).map(|i| i as PackId)
    }

    /// The unit a written name means: any case, plural, or a common abbreviation (`min`).
    pub fn find_unit(&self, name: &str) -> Result<UnitId, NameError> {
        resolve_unit(name, self.units.iter().map(|u| u.name.as_str())).map(|i| i as UnitId)
    }

    /// The declared attribute a written name means (any case, spacing or punctuation).
    pub fn find_attribute(&self, name: &str) -> Result<AttributeId, NameError> {
        let items = self.attributes.iter().map(|a| (a.as_str(), a.as_str()));
        find_named("attribute", name, items).map(|i| i as AttributeId)
    }

    /// A product by name, as [`find_product`](Self::find_product) finds it.
    pub fn product_id(&self, name: &str) -> Option<ProductId> {
        self.find_product(name).ok()
    }

    /// A plan by name, as [`find_plan`](Self::find_plan) finds it.
    pub fn plan_id(&self, name: &str) -> Option<PlanId> {
        self.find_plan(name).ok()
    }

    /// The unit of exactly this name (a table's own unit names, as compiled).
    pub fn unit_id(&self, name: &str) -> Option<UnitId> {
        self.units
            .iter()
            .position(|u| u.name == name)
            .map(|i| i as UnitId)
    }

    pub fn unit_name(&self, id: UnitId) -> &str {
        self.units.get(id as usize).map_or("", |u| u.name.as_str())
    }

    /// The cell of `product` for dimension value indexes given in the product's `dims` order.
    pub fn cell_id(&self, product: ProductId, values: &[u32]) -> Option<CellId> {
        let p = self.products.get(product as usize)?;
        if values.len() != p.dims.len() {
            return None;
        }
        let mut cell = 0u32;
        for ((v, d), s) in values.iter().zip(&p.dims).zip(&p.strides) {
            if *v as usize >= self.dimensions[*d as usize].values.len() {
                return None;
            }
            cell += v * s;
        }
        Some(cell)
    }

    /// The cell for dimension arguments: `(Some("resolution"), "4K")` or a bare `(None, "4K")`
    /// when the value names its dimension unambiguously. Names and values match as people write
    /// them (`30FPS` is `30 fps`).
    pub fn resolve_cell(
        &self,
        product: ProductId,
        args: &[(Option<&str>, &str)],
    ) -> Result<CellId, Diagnostic> {
        let p = self.products.get(product as usize).ok_or_else(|| {
            Diagnostic::new(
                Code::UnknownReference,
                format!("no product with id {product}"),
            )
        })?;
        let name_of = |d: &u32| self.dimensions[*d as usize].name.clone();
        let mut values: Vec<Option<u32>> = vec![None; p.dims.len()];
        for (dim, value) in args {
            if p.dims.is_empty() {
                let given = match dim {
                    Some(d) => format!("{d}={value}"),
                    None => value.to_string(),
                };
                return Err(Diagnostic::no_dimensions(&p.slug, &given));
            }
            let positions: Vec<usize> = match dim {
                Some(d) => match p.dims.iter().position(|x| same_key(&name_of(x), d)) {
                    Some(pos) => vec![pos],
                    None => {
                        let dims: Vec<String> = p.dims.iter().map(name_of).collect();
                        return Err(Diagnostic::not_priced_by(&p.slug, d, &dims));
                    }
                },
                None => (0..p.dims.len()).collect(),
            };
            let hits: Vec<(usize, u32)> = positions
                .iter()
                .filter_map(|pos| {
                    let def = &self.dimensions[p.dims[*pos] as usize];
                    def.values
                        .iter()
                        .position(|x| same_key(x, value))
                        .map(|v| (*pos, v as u32))
                })
                .collect();
            match hits.as_slice() {
                [(pos, v)] if values[*pos].is_none() => values[*pos] = Some(*v),
                [(pos, _)] => {
                    return Err(Diagnostic::dimension_given_twice(&name_of(&p.dims[*pos])));
                }
                [] => {
                    let searched: Vec<(&str, &[String])> = positions
                        .iter()
                        .map(|pos| {
                            let def = &self.dimensions[p.dims[*pos] as usize];
                            (def.name.as_str(), def.values.as_slice())
                        })
                        .collect();
                    return Err(Diagnostic::unknown_dimension_value(
                        &p.slug, value, &searched,
                    ));
                }
                several => {
                    let dims: Vec<String> = several
                        .iter()
                        .map(|(pos, _)| name_of(&p.dims[*pos]))
                        .collect();
                    return Err(Diagnostic::ambiguous_dimension_value(value, &dims));
                }
            }
        }
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            match v.or_else(|| p.fills.get(i).copied().flatten()) {
                Some(v) => out.push(v),
                None => {
                    let def = &self.dimensions[p.dims[i] as usize];
                    return Err(Diagnostic::dimension_value_missing(
                        &p.slug,
                        &def.name,
                        &def.values,
                    ));
                }
            }
        }
        self.cell_id(product, &out)
            .ok_or_else(|| Diagnostic::new(Code::UnknownDimensionValue, "no such rate cell"))
    }

    /// A quantity of `product` in base units of its measure, from a value and a unit as written
    /// (`minutes`, `min`).
    pub fn base_quantity(
        &self,
        product: ProductId,
        value: Decimal,
        unit: &str,
    ) -> Result<Decimal, Diagnostic> {
        let p = self.products.get(product as usize).ok_or_else(|| {
            Diagnostic::new(
                Code::UnknownReference,
                format!("no product with id {product}"),
            )
        })?;
        let u = &self.units[self
            .find_unit(unit)
            .map_err(|e| Diagnostic::unknown_name(&e))? as usize];
        if u.dimension != p.measure {
            return Err(Diagnostic::unit_of_other_dimension(
                &u.name,
                &describe_dimension(&u.dimension),
                &p.slug,
                &describe_dimension(&p.measure),
            ));
        }
        value
            .checked_mul(u.factor)
            .ok_or_else(|| Diagnostic::quantity_too_large(&value.to_string(), &u.name))
    }

    /// The name of the base unit of a measured dimension (`second` for time).
    pub fn base_unit(&self, dimension: &str) -> &str {
        self.units
            .iter()
            .find(|u| u.dimension == dimension && u.factor == Decimal::ONE)
            .map_or("", |u| u.name.as_str())
    }
}
