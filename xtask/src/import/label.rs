//! Short field labels. Upstream descriptions are prose; a spec keeps only a label: the leading
//! phrase of the description when it is short, else a label made from the field's name.

/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 20;

/// The label of a field, parameter or operation.
pub fn label(description: Option<&str>, name: &str) -> String {
    if let Some(phrase) = description.map(leading_phrase) {
        let count = phrase.chars().count();
        if count > 0 && count <= MAX_LABEL_CHARS && phrase != "null" && !is_clause(&phrase) {
            return phrase;
        }
    }
    from_name(name)
}

/// A leading phrase that is a condition or an unfinished clause, not the field's name
/// (`如果转入账号类型为userId`, `当撤销产生了退款时`, `商户端创建订单的`).
fn is_clause(phrase: &str) -> bool {
    const OPENINGS: &[&str] = &[
        "如果",
        "若",
        "当",
        "仅",
        "只",
        "针对",
        "在",
        "用于",
        "对于",
        "通过",
        "使用该",
    ];
    // Words that begin with an opening above but name a thing (`当前…`, `在线…`).
    const NOUNS: &[&str] = &["当前", "当天", "当日", "当面", "当地", "在线", "只读"];
    const ENDINGS: &[&str] = &["时", "的", "为", "是", "和", "或", "与", "及", "填写"];
    let opening = OPENINGS.iter().any(|o| phrase.starts_with(o))
        && !NOUNS.iter().any(|n| phrase.starts_with(n));
    opening || ENDINGS.iter().any(|e| phrase.ends_with(e))
}

/// The text of `description` up to its first punctuation mark or line break, HTML removed.
pub fn leading_phrase(description: &str) -> String {
    let text = strip_html(description);
    let chars: Vec<char> = text.trim().chars().collect();
    let mut end = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let stop = match c {
            '，' | ',' | '。' | '；' | ';' | '：' | ':' | '（' | '(' | '）' | ')' | '！' | '!'
            | '？' | '?' | '【' | '】' | '[' | ']' | '《' | '》' | '"' | '“' | '”' | '|' | '\n'
            | '\r' | '\t' | '\u{3000}' => true,
            '.' => {
                !(prev.is_some_and(|p| p.is_ascii_digit())
                    && next.is_some_and(|n| n.is_ascii_digit()))
            }
            ' ' => {
                next == Some(' ')
                    || next.is_some_and(|n| !n.is_ascii())
                    || prev.is_some_and(|p| !p.is_ascii())
            }
            _ => false,
        };
        if stop {
            end = i;
            break;
        }
    }
    chars
        .get(..end)
        .unwrap_or_default()
        .iter()
        .collect::<String>()
        .trim()
        .to_owned()
}

fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// A label made from a wire name: `out_trade_no` → `out trade no`, `authToken` → `auth token`.
pub fn from_name(name: &str) -> String {
    let mut words = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' || c.is_whitespace() {
            if !words.ends_with(' ') && !words.is_empty() {
                words.push(' ');
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !words.ends_with(' ') {
            words.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        words.extend(c.to_lowercase());
    }
    let words = words.trim();
    if words.chars().count() <= MAX_LABEL_CHARS {
        return words.to_owned();
    }
    // Whole words that fit, else a hard cut.
    let mut out = String::new();
    for word in words.split(' ') {
        let extra = if out.is_empty() { 0 } else { 1 };
        if out.chars().count() + extra + word.chars().count() > MAX_LABEL_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = words.chars().take(MAX_LABEL_CHARS).collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_phrase_stops_at_punctuation() {
        assert_eq!(
            label(Some("支付宝交易号，和商户订单号不能同时为空"), "trade_no"),
            "支付宝交易号"
        );
        assert_eq!(label(Some("系统商编号  该参数作为依据"), "x"), "系统商编号");
        assert_eq!(label(Some("借用时间"), "borrow_time"), "借用时间");
        assert_eq!(label(Some("app支付接口2.0"), "m"), "app支付接口2.0");
        assert_eq!(label(Some("common response"), "m"), "common response");
        assert_eq!(label(Some("详见 <a href=\"x\">列表</a>"), "m"), "详见");
    }

    #[test]
    fn long_or_missing_descriptions_fall_back_to_the_name() {
        let long = "这是一个非常非常长的没有任何标点符号的描述文字它超过了标签的长度限制";
        assert_eq!(label(Some(long), "out_trade_no"), "out trade no");
        assert_eq!(label(None, "authToken"), "auth token");
        assert_eq!(label(Some("，开头就是标点"), "buyer_id"), "buyer id");
        assert_eq!(label(Some("null"), "success"), "success");
        assert_eq!(
            label(Some("如果转入账号类型为userId，填2088开头的id"), "trans_in"),
            "trans in"
        );
        assert_eq!(
            label(Some("当撤销产生了退款时，返回退款时间"), "gmt_refund_pay"),
            "gmt refund pay"
        );
        assert_eq!(
            label(Some("商户端创建订单的 IP"), "mc_create_trade_ip"),
            "mc create trade ip"
        );
        let name = from_name("a_very_long_field_name_that_goes_on_and_on");
        assert!(name.chars().count() <= MAX_LABEL_CHARS, "{name}");
    }
}
