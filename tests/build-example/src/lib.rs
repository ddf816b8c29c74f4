//! The shop API's types, generated into `OUT_DIR` by this crate's build script
//! (`triad::build::types`) and included here.

include!(concat!(env!("OUT_DIR"), "/shop_types.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_types_build_and_round_trip() {
        let order = Order::new("o-1", vec![Line::new("sku-9", 2)]).with_note("fragile");
        let json = serde_json::to_string(&order).unwrap();
        assert_eq!(json, r#"{"id":"o-1","lines":[{"sku":"sku-9","quantity":2}],"note":"fragile"}"#);
        let back: Order = serde_json::from_str(r#"{"id":"o-1","lines":[],"status":"returned"}"#).unwrap();
        assert_eq!(back.status, Some(Status::Unknown("returned".into())));
    }
}
