//! Cash red-packet (现金红包) fund operations, queried by an order key (`auth_no`, else
//! `out_order_no`) and an operation key (`operation_id`, else `out_request_no`); when both
//! forms of a key are given, Alipay's number wins. Error codes follow the fund-auth family:
//! `ILLEGAL_ARGUMENT`, `AUTH_ORDER_NOT_EXIST`, `AUTH_OPERATION_NOT_EXIST`.

use super::{text, BizError, Fields, Outcome, Reply};
use serde_json::{Map, Value};

/// One fund operation of a red-packet order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub auth_no: String,
    pub out_order_no: String,
    pub operation_id: String,
    pub out_request_no: String,
    pub fields: Fields,
}

#[derive(Debug, Default)]
pub struct Coupons {
    pub operations: Vec<Operation>,
}

pub const SEED_AUTH_NO: &str = "2018081710002001860294782485";
pub const SEED_OUT_ORDER_NO: &str = "2017122716463222";
pub const SEED_PAY_OPERATION_ID: &str = "20180817587432998602";
pub const SEED_PAY_OUT_REQUEST_NO: &str = "201712271645328";
pub const SEED_REFUND_OPERATION_ID: &str = "20180817587432998603";
pub const SEED_REFUND_OUT_REQUEST_NO: &str = "refund20171228254";

fn op(
    operation_id: &str,
    out_request_no: &str,
    operation_type: &str,
    amount: &str,
    extra: &[(&str, &str)],
) -> Operation {
    let mut fields = Fields::new();
    let base = [
        ("auth_no", SEED_AUTH_NO),
        ("out_order_no", SEED_OUT_ORDER_NO),
        ("operation_id", operation_id),
        ("out_request_no", out_request_no),
        ("operation_type", operation_type),
        ("amount", amount),
        ("status", "SUCCESS"),
        ("order_title", "新年红包"),
        ("gmt_create", "2017-12-27 16:46:32"),
        ("gmt_trans", "2017-12-27 16:46:35"),
        ("payer_logon_id", "ali***@alipay.com"),
        ("payer_user_id", "2088102000000011"),
    ];
    for (k, v) in base.iter().chain(extra) {
        fields.insert((*k).to_owned(), Value::from(*v));
    }
    Operation {
        auth_no: SEED_AUTH_NO.into(),
        out_order_no: SEED_OUT_ORDER_NO.into(),
        operation_id: operation_id.into(),
        out_request_no: out_request_no.into(),
        fields,
    }
}

impl Coupons {
    pub fn seeded() -> Self {
        Coupons {
            operations: vec![
                op(
                    SEED_PAY_OPERATION_ID,
                    SEED_PAY_OUT_REQUEST_NO,
                    "PAY",
                    "10.00",
                    &[],
                ),
                op(
                    SEED_REFUND_OPERATION_ID,
                    SEED_REFUND_OUT_REQUEST_NO,
                    "REFUND",
                    "3.00",
                    &[("total_pay_refund_amount", "3.00"), ("remark", "红包退回")],
                ),
            ],
        }
    }

    /// `alipay.fund.coupon.operation.query`.
    pub fn query(&self, params: &Map<String, Value>) -> Outcome {
        let auth_no = text(params, "auth_no");
        let out_order_no = text(params, "out_order_no");
        let operation_id = text(params, "operation_id");
        let out_request_no = text(params, "out_request_no");
        if auth_no.is_none() && out_order_no.is_none() {
            return Err(BizError::business(
                "ILLEGAL_ARGUMENT",
                "auth_no and out_order_no cannot both be empty",
            ));
        }
        if operation_id.is_none() && out_request_no.is_none() {
            return Err(BizError::business(
                "ILLEGAL_ARGUMENT",
                "operation_id and out_request_no cannot both be empty",
            ));
        }
        let in_order: Vec<&Operation> = self
            .operations
            .iter()
            .filter(|o| match &auth_no {
                Some(a) => o.auth_no == *a,
                None => out_order_no.as_ref().is_some_and(|n| o.out_order_no == *n),
            })
            .collect();
        if in_order.is_empty() {
            return Err(BizError::business(
                "AUTH_ORDER_NOT_EXIST",
                "支付宝资金授权订单不存在",
            ));
        }
        let found = in_order.into_iter().find(|o| match &operation_id {
            Some(id) => o.operation_id == *id,
            None => out_request_no
                .as_ref()
                .is_some_and(|n| o.out_request_no == *n),
        });
        let o = found.ok_or_else(|| {
            BizError::business("AUTH_OPERATION_NOT_EXIST", "支付宝资金操作流水不存在")
        })?;
        Ok(Reply::ok(o.fields.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::obj;
    use super::*;
    use serde_json::json;

    fn q(v: Value) -> Outcome {
        Coupons::seeded().query(&obj(v))
    }

    #[test]
    fn every_key_combination() {
        let want =
            q(json!({"auth_no": SEED_AUTH_NO, "operation_id": SEED_PAY_OPERATION_ID})).unwrap();
        assert_eq!(want.fields["operation_type"], "PAY");
        for v in [
            json!({"auth_no": SEED_AUTH_NO, "out_request_no": SEED_PAY_OUT_REQUEST_NO}),
            json!({"out_order_no": SEED_OUT_ORDER_NO, "operation_id": SEED_PAY_OPERATION_ID}),
            json!({"out_order_no": SEED_OUT_ORDER_NO, "out_request_no": SEED_PAY_OUT_REQUEST_NO}),
            // Alipay's numbers win over the merchant's when both are given.
            json!({"auth_no": SEED_AUTH_NO, "out_order_no": "x", "operation_id": SEED_PAY_OPERATION_ID, "out_request_no": "y"}),
        ] {
            assert_eq!(q(v.clone()).unwrap(), want, "{v}");
        }
        let r = q(json!({"out_order_no": SEED_OUT_ORDER_NO, "out_request_no": SEED_REFUND_OUT_REQUEST_NO})).unwrap();
        assert_eq!(r.fields["total_pay_refund_amount"], "3.00");
    }

    #[test]
    fn errors() {
        let code = |v| q(v).unwrap_err().sub_code;
        assert_eq!(code(json!({"operation_id": "1"})), "ILLEGAL_ARGUMENT");
        assert_eq!(code(json!({"auth_no": SEED_AUTH_NO})), "ILLEGAL_ARGUMENT");
        assert_eq!(
            code(json!({"auth_no": "1", "operation_id": "1"})),
            "AUTH_ORDER_NOT_EXIST"
        );
        assert_eq!(
            code(json!({"auth_no": SEED_AUTH_NO, "operation_id": "1"})),
            "AUTH_OPERATION_NOT_EXIST"
        );
    }
}
