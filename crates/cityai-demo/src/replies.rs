//! Official replies (答复意见) in the style of a 12345 hotline.

const CLOSINGS: &[&str] = &[
    "感谢您的监督！",
    "感谢您对我们工作的理解和支持，欢迎继续监督。",
    "如仍有疑问，可再次来电反映。感谢您的监督！",
];

/// The varying parts of one reply.
#[derive(Debug)]
pub(crate) struct ReplyParts<'a> {
    pub title: &'a str,
    pub department_name: &'a str,
    pub district: Option<&'a str>,
    /// The department's findings and actions, with placeholders already filled.
    pub action: &'a str,
    /// An arbitrary number that selects the closing sentence.
    pub variant: usize,
}

/// Writes an official reply: acknowledgement, who handled it, the action and a closing.
pub(crate) fn write(parts: &ReplyParts<'_>) -> String {
    let handled_by = match parts.district {
        Some(district) => format!("{}已会同{}相关部门办理", parts.department_name, district),
        None => format!("{}已安排办理", parts.department_name),
    };
    let closing = CLOSINGS[parts.variant % CLOSINGS.len()];
    format!(
        "您好！您反映的“{}”问题已收悉，{}。{}{}",
        parts.title, handled_by, parts.action, closing
    )
}
