//! Event attributes as usage files write them (`"attrs": {"scenes": 51}`, CSV `attr.scenes`):
//! names and values to [`EventAttr`]s, for the plan's limits on them.

use super::*;
use crate::base::quantity::split_quantity;

impl RatingTable {
    /// A written attribute and value (`script length`, `4500 character`; a bare number is in
    /// the unit each limit is written in). An attribute the book does not declare, a value that
    /// is not a number or quantity, or an unknown unit is an error that says so (the same one
    /// `quote --attr` gives).
    ///
    /// ```
    /// let table = pricebook::open("pricebooks/heygen/enterprise.pricebook".as_ref(), None).unwrap().table;
    /// let a = table.event_attr("Scenes", "51").unwrap();
    /// assert_eq!(a.value.to_string(), "51");
    /// assert!(table.event_attr("scene count", "51").unwrap_err().contains("unknown attribute"));
    /// assert!(table.event_attr("scenes", "many").is_err());
    /// ```
    pub fn event_attr(&self, name: &str, value: &str) -> Result<EventAttr, String> {
        let attribute = self
            .find_attribute(name.trim())
            .map_err(|e| e.to_string())?;
        let (value, unit) =
            split_quantity(value).map_err(|e| format!("attribute `{}`: {e}", name.trim()))?;
        let unit = unit
            .map(|u| self.find_unit(u))
            .transpose()
            .map_err(|e| format!("attribute `{}`: {e}", name.trim()))?;
        Ok(EventAttr {
            attribute,
            value,
            unit,
        })
    }

    /// [`event_attr`](Self::event_attr) for each written pair; values left empty are not given.
    pub fn event_attrs<'a>(
        &self,
        written: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Vec<EventAttr>, String> {
        written
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| self.event_attr(k, v))
            .collect()
    }
}
