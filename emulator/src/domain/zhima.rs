//! Zhima credit rent (信用借还) orders: seeded records, queried by `out_order_no` +
//! `product_code`, with the documented error codes (`INVALID_PARAMETER`,
//! `ARRANGEMENT_NOT_EXIST`, `ORDER_NOT_EXISTS`).

use super::{text, BizError, Fields, Outcome, Reply};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The one product code of the rent product.
pub const PRODUCT_CODE: &str = "w1010100000000002858";

/// Seeded `out_order_no`s: borrowed (unpaid), restored (paid), cancelled.
pub const SEED_BORROWED: &str = "2016100100000001";
pub const SEED_RESTORED: &str = "2016100100000002";
pub const SEED_CANCELLED: &str = "2016100100000003";

#[derive(Debug, Default)]
pub struct Zhima {
    /// out_order_no -> business fields of the query reply
    pub orders: BTreeMap<String, Fields>,
}

fn record(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect()
}

impl Zhima {
    pub fn seeded() -> Self {
        let mut z = Zhima::default();
        z.orders.insert(
            SEED_BORROWED.into(),
            record(&[
                ("order_no", "100000"),
                ("goods_name", "充电宝"),
                ("user_id", "2088201844891355"),
                ("borrow_time", "2016-10-10 12:00:00"),
                ("use_state", "borrow"),
                ("pay_status", "PAY_INIT"),
                ("admit_state", "Y"),
            ]),
        );
        z.orders.insert(
            SEED_RESTORED.into(),
            record(&[
                ("order_no", "100001"),
                ("goods_name", "充电宝"),
                ("user_id", "2088201844891355"),
                ("borrow_time", "2016-10-10 12:00:00"),
                ("restore_time", "2016-10-10 14:00:00"),
                ("use_state", "restore"),
                ("pay_status", "PAY_SUCCESS"),
                ("pay_amount_type", "RENT"),
                ("pay_amount", "100.00"),
                ("pay_time", "2016-10-10 14:00:05"),
                ("admit_state", "Y"),
                ("alipay_fund_order_no", "2088000000000000"),
            ]),
        );
        z.orders.insert(
            SEED_CANCELLED.into(),
            record(&[
                ("order_no", "100002"),
                ("goods_name", "雨伞"),
                ("user_id", "2088201844891356"),
                ("borrow_time", "2016-10-11 09:00:00"),
                ("use_state", "cancel"),
                ("admit_state", "N"),
            ]),
        );
        z
    }

    /// `zhima.merchant.order.rent.query`.
    pub fn query(&self, params: &Map<String, Value>) -> Outcome {
        let (Some(out), Some(product)) =
            (text(params, "out_order_no"), text(params, "product_code"))
        else {
            return Err(BizError::business(
                "INVALID_PARAMETER",
                "out_order_no and product_code are required",
            ));
        };
        if product != PRODUCT_CODE {
            return Err(BizError::business(
                "ARRANGEMENT_NOT_EXIST",
                "商户对产品未签约",
            ));
        }
        let fields = self
            .orders
            .get(out.as_ref())
            .ok_or_else(|| BizError::business("ORDER_NOT_EXISTS", "订单不存在"))?;
        Ok(Reply::ok(fields.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::obj;
    use super::*;
    use serde_json::json;

    fn q(out: &str, product: &str) -> Outcome {
        Zhima::seeded().query(&obj(json!({"out_order_no": out, "product_code": product})))
    }

    #[test]
    fn seeded_orders_by_key() {
        let f = q(SEED_RESTORED, PRODUCT_CODE).unwrap().fields;
        assert_eq!(
            (f["use_state"].as_str(), f["pay_amount"].as_str()),
            (Some("restore"), Some("100.00"))
        );
        assert_eq!(
            q(SEED_BORROWED, PRODUCT_CODE).unwrap().fields["pay_status"],
            "PAY_INIT"
        );
        assert_eq!(
            q(SEED_CANCELLED, PRODUCT_CODE).unwrap().fields["use_state"],
            "cancel"
        );
    }

    #[test]
    fn documented_errors() {
        assert_eq!(
            q("nope", PRODUCT_CODE).unwrap_err().sub_code,
            "ORDER_NOT_EXISTS"
        );
        assert_eq!(
            q(SEED_BORROWED, "w1").unwrap_err().sub_code,
            "ARRANGEMENT_NOT_EXIST"
        );
        let e = Zhima::seeded()
            .query(&obj(json!({"out_order_no": SEED_BORROWED})))
            .unwrap_err();
        assert_eq!(
            (e.code, e.sub_code.as_str()),
            ("40004", "INVALID_PARAMETER")
        );
    }
}
