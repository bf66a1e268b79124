//! Huabei pre-authorisation (花呗先享) orders: seeded freezes, unfreeze, and the three
//! documented query keys (`auth_opt_id`; `alipay_user_id` + `out_request_no`;
//! `out_request_no` alone). `open_id` may stand in for `alipay_user_id`.

use super::{beijing, put, text, text_owned, BizError, Fields, Ids, Money, Outcome, Reply};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// One user's agreement and the amount still frozen under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub agreement_no: String,
    pub alipay_user_id: String,
    pub open_id: String,
    pub seller_id: String,
    pub frozen: Money,
    pub active: bool,
}

/// One freeze or unfreeze operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthOrder {
    pub auth_opt_id: String,
    pub agreement_no: String,
    pub alipay_user_id: String,
    pub open_id: String,
    pub seller_id: String,
    pub out_request_no: String,
    pub order_title: String,
    pub trans_type: &'static str,
    pub trans_amount: Money,
    pub rest_freeze_amount: Money,
    pub gmt_trans: String,
}

#[derive(Debug, Default)]
pub struct Huabei {
    pub agreements: Vec<Agreement>,
    pub orders: Vec<AuthOrder>,
    ids: Ids,
}

/// Seed records (also listed in the crate documentation).
pub const SEED_USER: &str = "2088101117955611";
pub const SEED_OPEN_ID: &str = "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5";
pub const SEED_AGREEMENT: &str = "20185908000000001234";
pub const SEED_AUTH_OPT_ID: &str = "2018081010020817070009689955";
pub const SEED_OUT_REQUEST_NO: &str = "8077735255938032";
pub const SEED_SELLER: &str = "2088301000000001";

fn invalid(msg: &str) -> BizError {
    BizError::business("INVALID_PARAMETER", msg)
}

impl Huabei {
    pub fn seeded() -> Self {
        let mut h = Huabei::default();
        let seeds = [
            (
                SEED_USER,
                SEED_OPEN_ID,
                SEED_AGREEMENT,
                SEED_AUTH_OPT_ID,
                SEED_OUT_REQUEST_NO,
                10_000,
            ),
            (
                "2088102000000002",
                "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo6",
                "20185908000000005678",
                "2018081010020817070009689956",
                "8077735255938033",
                5_000,
            ),
        ];
        for (user, open_id, agreement_no, auth_opt_id, out_request_no, fen) in seeds {
            let frozen = Money::from_fen(fen);
            h.agreements.push(Agreement {
                agreement_no: agreement_no.into(),
                alipay_user_id: user.into(),
                open_id: open_id.into(),
                seller_id: SEED_SELLER.into(),
                frozen,
                active: true,
            });
            h.orders.push(AuthOrder {
                auth_opt_id: auth_opt_id.into(),
                agreement_no: agreement_no.into(),
                alipay_user_id: user.into(),
                open_id: open_id.into(),
                seller_id: SEED_SELLER.into(),
                out_request_no: out_request_no.into(),
                order_title: "花呗先享冻结".into(),
                trans_type: "FREEZE",
                trans_amount: frozen,
                rest_freeze_amount: frozen,
                gmt_trans: "2024-06-01 12:00:00".into(),
            });
        }
        h
    }

    fn order_fields(o: &AuthOrder) -> Fields {
        let mut f = Fields::new();
        f.insert("auth_opt_id".into(), o.auth_opt_id.clone().into());
        f.insert("agreement_no".into(), o.agreement_no.clone().into());
        f.insert("alipay_user_id".into(), o.alipay_user_id.clone().into());
        f.insert("open_id".into(), o.open_id.clone().into());
        f.insert("seller_id".into(), o.seller_id.clone().into());
        f.insert("out_request_no".into(), o.out_request_no.clone().into());
        f.insert("order_title".into(), o.order_title.clone().into());
        f.insert("trans_type".into(), o.trans_type.into());
        f.insert("trans_amount".into(), o.trans_amount.to_string().into());
        f.insert("trans_status".into(), "Y".into());
        f.insert(
            "rest_freeze_amount".into(),
            o.rest_freeze_amount.to_string().into(),
        );
        f.insert("gmt_trans".into(), o.gmt_trans.clone().into());
        f
    }

    /// `alipay.pcredit.huabei.auth.order.query`.
    pub fn query(&self, params: &Map<String, Value>) -> Outcome {
        let found = if let Some(id) = text(params, "auth_opt_id") {
            self.orders.iter().find(|o| o.auth_opt_id == id)
        } else {
            let req = text(params, "out_request_no")
                .ok_or_else(|| invalid("auth_opt_id or out_request_no is required"))?;
            let user = text(params, "alipay_user_id");
            let open_id = text(params, "open_id");
            self.orders.iter().find(|o| {
                o.out_request_no == req
                    && user.as_ref().is_none_or(|u| o.alipay_user_id == *u)
                    && open_id.as_ref().is_none_or(|u| o.open_id == *u)
            })
        };
        let o = found.ok_or_else(|| BizError::business("ORDER_NOT_EXIST", "订单不存在"))?;
        Ok(Reply::ok(Self::order_fields(o)))
    }

    /// `alipay.pcredit.huabei.auth.order.unfreeze`: moves `unfreeze_amount` out of the frozen
    /// balance; `need_terminated=true` also ends the agreement. Idempotent by `out_request_no`.
    pub fn unfreeze(&mut self, params: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
        let out_request_no = text_owned(params, "out_request_no")
            .ok_or_else(|| invalid("out_request_no is required"))?;
        let amount = text(params, "unfreeze_amount")
            .and_then(|a| Money::parse(&a))
            .filter(|m| !m.is_zero())
            .ok_or_else(|| invalid("unfreeze_amount must be a positive amount"))?;
        let user = text_owned(params, "alipay_user_id");
        let open_id = text_owned(params, "open_id");
        let agreement_no = text_owned(params, "agreement_no");
        if user.is_none() && open_id.is_none() && agreement_no.is_none() {
            return Err(invalid(
                "agreement_no, alipay_user_id or open_id is required",
            ));
        }
        let idx = self
            .agreements
            .iter()
            .position(|a| {
                agreement_no.as_ref().is_none_or(|n| a.agreement_no == *n)
                    && user.as_ref().is_none_or(|u| a.alipay_user_id == *u)
                    && open_id.as_ref().is_none_or(|u| a.open_id == *u)
            })
            .ok_or_else(|| BizError::business("AGREEMENT_NOT_EXIST", "协议不存在"))?;
        let Some(agreement) = self.agreements.get(idx).cloned() else {
            return Err(BizError::business("AGREEMENT_NOT_EXIST", "协议不存在"));
        };
        if text(params, "seller_id").is_some_and(|s| s != agreement.seller_id) {
            return Err(BizError::business("SELLER_NOT_MATCH", "卖家不匹配"));
        }
        if let Some(done) = self.orders.iter().find(|o| {
            o.trans_type == "UNFREEZE"
                && o.out_request_no == out_request_no
                && o.alipay_user_id == agreement.alipay_user_id
        }) {
            if done.trans_amount != amount {
                return Err(BizError::business(
                    "ORDER_IDEMPOTENT_ERROR",
                    "同一请求流水号的参数不一致",
                ));
            }
            return Ok(Reply::ok(self.unfreeze_fields(done, &agreement)));
        }
        if !agreement.active {
            return Err(BizError::business("AGREEMENT_EXPIRED", "协议已失效"));
        }
        let rest = agreement
            .frozen
            .checked_sub(amount)
            .ok_or_else(|| BizError::business("BALANCE_CHECK_ERROR", "解冻金额超过冻结余额"))?;
        let terminate = text(params, "need_terminated").is_some_and(|v| v == "true");
        let auth_opt_id = self.ids.next(&beijing_digits(now), 12);
        let order = AuthOrder {
            auth_opt_id,
            agreement_no: agreement.agreement_no.clone(),
            alipay_user_id: agreement.alipay_user_id.clone(),
            open_id: agreement.open_id.clone(),
            seller_id: agreement.seller_id.clone(),
            out_request_no,
            order_title: text_owned(params, "order_title").unwrap_or_else(|| "花呗先享解冻".into()),
            trans_type: "UNFREEZE",
            trans_amount: amount,
            rest_freeze_amount: rest,
            gmt_trans: beijing(now),
        };
        let updated = {
            let Some(a) = self.agreements.get_mut(idx) else {
                return Err(BizError::business("AGREEMENT_NOT_EXIST", "协议不存在"));
            };
            a.frozen = rest;
            if terminate {
                a.active = false;
            }
            a.clone()
        };
        let fields = self.unfreeze_fields(&order, &updated);
        self.orders.push(order);
        Ok(Reply::ok(fields))
    }

    fn unfreeze_fields(&self, o: &AuthOrder, a: &Agreement) -> Fields {
        let mut f = Fields::new();
        f.insert("agreement_no".into(), a.agreement_no.clone().into());
        f.insert(
            "agreement_status".into(),
            if a.active { "Y" } else { "N" }.into(),
        );
        f.insert("alipay_user_id".into(), o.alipay_user_id.clone().into());
        f.insert("open_id".into(), o.open_id.clone().into());
        f.insert("auth_opt_id".into(), o.auth_opt_id.clone().into());
        f.insert("out_request_no".into(), o.out_request_no.clone().into());
        f.insert(
            "rest_freeze_amount".into(),
            o.rest_freeze_amount.to_string().into(),
        );
        f.insert("seller_id".into(), o.seller_id.clone().into());
        f.insert("trans_status".into(), "Y".into());
        f.insert("unfreeze_amount".into(), o.trans_amount.to_string().into());
        put(&mut f, "gmt_trans", Some(o.gmt_trans.clone()));
        f
    }
}

fn beijing_digits(now: OffsetDateTime) -> String {
    beijing(now).chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::super::obj;
    use super::*;
    use serde_json::json;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2024-06-02 02:00:00 UTC)
    }

    fn sub(o: Outcome) -> String {
        o.unwrap_err().sub_code
    }

    #[test]
    fn query_by_each_documented_key() {
        let h = Huabei::seeded();
        let by_id = h
            .query(&obj(json!({"auth_opt_id": SEED_AUTH_OPT_ID})))
            .unwrap();
        let by_user = h
            .query(&obj(
                json!({"alipay_user_id": SEED_USER, "out_request_no": SEED_OUT_REQUEST_NO}),
            ))
            .unwrap();
        let by_req = h
            .query(&obj(json!({"out_request_no": SEED_OUT_REQUEST_NO})))
            .unwrap();
        let by_open = h
            .query(&obj(
                json!({"open_id": SEED_OPEN_ID, "out_request_no": SEED_OUT_REQUEST_NO}),
            ))
            .unwrap();
        assert_eq!(by_id, by_user);
        assert_eq!(by_id, by_req);
        assert_eq!(by_id, by_open);
        assert_eq!(by_id.fields["trans_type"], "FREEZE");
        assert_eq!(by_id.fields["rest_freeze_amount"], "100.00");
    }

    #[test]
    fn query_errors() {
        let h = Huabei::seeded();
        assert_eq!(sub(h.query(&obj(json!({})))), "INVALID_PARAMETER");
        assert_eq!(
            sub(h.query(&obj(json!({"auth_opt_id": "1"})))),
            "ORDER_NOT_EXIST"
        );
        // Right request number, wrong user.
        let p = obj(
            json!({"alipay_user_id": "2088102000000002", "out_request_no": SEED_OUT_REQUEST_NO}),
        );
        assert_eq!(sub(h.query(&p)), "ORDER_NOT_EXIST");
    }

    fn unfreeze(h: &mut Huabei, req: &str, amount: &str, extra: Value) -> Outcome {
        let mut p = obj(
            json!({"agreement_no": SEED_AGREEMENT, "alipay_user_id": SEED_USER,
                               "out_request_no": req, "unfreeze_amount": amount}),
        );
        p.extend(obj(extra));
        h.unfreeze(&p, now())
    }

    #[test]
    fn unfreeze_moves_balance_and_is_idempotent() {
        let mut h = Huabei::seeded();
        let r = unfreeze(&mut h, "u1", "30.00", json!({})).unwrap().fields;
        assert_eq!(r["rest_freeze_amount"], "70.00");
        assert_eq!(r["agreement_status"], "Y");
        assert_eq!(r["gmt_trans"], "2024-06-02 10:00:00");
        let again = unfreeze(&mut h, "u1", "30.00", json!({})).unwrap().fields;
        assert_eq!(r, again);
        assert_eq!(
            sub(unfreeze(&mut h, "u1", "31.00", json!({}))),
            "ORDER_IDEMPOTENT_ERROR"
        );
        assert_eq!(
            sub(unfreeze(&mut h, "u2", "70.01", json!({}))),
            "BALANCE_CHECK_ERROR"
        );
        // The unfreeze is queryable by each key.
        let id = r["auth_opt_id"].as_str().unwrap();
        let q = h.query(&obj(json!({"auth_opt_id": id}))).unwrap().fields;
        assert_eq!(
            (q["trans_type"].as_str(), q["trans_amount"].as_str()),
            (Some("UNFREEZE"), Some("30.00"))
        );
        let q2 = h
            .query(&obj(
                json!({"alipay_user_id": SEED_USER, "out_request_no": "u1"}),
            ))
            .unwrap()
            .fields;
        assert_eq!(q, q2);
        // Terminate with the rest.
        let r = unfreeze(&mut h, "u3", "70.00", json!({"need_terminated": "true"}))
            .unwrap()
            .fields;
        assert_eq!(
            (
                r["rest_freeze_amount"].as_str(),
                r["agreement_status"].as_str()
            ),
            (Some("0.00"), Some("N"))
        );
        assert_eq!(
            sub(unfreeze(&mut h, "u4", "1.00", json!({}))),
            "AGREEMENT_EXPIRED"
        );
    }

    #[test]
    fn unfreeze_errors() {
        let mut h = Huabei::seeded();
        assert_eq!(
            sub(unfreeze(&mut h, "x", "1", json!({"seller_id": "2088"}))),
            "SELLER_NOT_MATCH"
        );
        assert_eq!(
            sub(unfreeze(&mut h, "x", "1", json!({"agreement_no": "nope"}))),
            "AGREEMENT_NOT_EXIST"
        );
        assert_eq!(
            sub(unfreeze(
                &mut h,
                "x",
                "1",
                json!({"alipay_user_id": "2088102000000002"})
            )),
            "AGREEMENT_NOT_EXIST"
        );
        assert_eq!(
            sub(unfreeze(&mut h, "x", "0", json!({}))),
            "INVALID_PARAMETER"
        );
        assert_eq!(
            sub(h.unfreeze(
                &obj(json!({"out_request_no": "x", "unfreeze_amount": "1"})),
                now()
            )),
            "INVALID_PARAMETER"
        );
    }
}
