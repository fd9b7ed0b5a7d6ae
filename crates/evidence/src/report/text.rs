//! The report's words, in English and Chinese, and the lines of the PDF.

use crate::manifest::Manifest;
use std::fmt::Write as _;

/// One line of the report before it is wrapped to the page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Line {
    Title(String),
    Heading(String),
    Text(String),
    /// Indented detail (hashes, keys, file names).
    Detail(String),
    /// Space between sections.
    Gap,
    /// Less space, between the items of a list.
    Space,
}

/// The verdict in both languages.
fn verdict(name: &str) -> &'static str {
    match name {
        "verified" => "Verified / 已验证",
        "warning" => "Warning / 警告",
        "unverifiable" => "Unverifiable / 无法验证",
        _ => "Failed / 验证失败",
    }
}

/// How to check a package, step by step; the same words in the README and the PDF.
const STEPS_EN: &[&str] = &[
    "1. With Tally's standalone verifier (no network code): tally-verify --policy NETWORK-POLICY.json PACKAGE.tar. It checks every step below and recomputes the verdict; exit 0 verified, 3 warning, 4 unverifiable, 1 failed or altered.",
    "2. Integrity: in the tally-evidence directory, run sha256sum -c SHA256SUMS. Every file must be OK.",
    "3. Leaf hashes: each entry file is named by its RFC 6962 leaf hash: (printf '\\0'; cat entries/LEAF.entry) | sha256sum prints LEAF.",
    "4. Checkpoints: policy/LOG.tlog-policy names each log's key and its witnesses' keys (c2sp.org/tlog-policy). checkpoints/LOG must verify as a C2SP signed note with the log's key and carry enough witness cosignatures; any signed-note verifier does this, e.g. Go's golang.org/x/mod/sumdb/note.",
    "5. Inclusion: proofs/LEAF.LOG.tlog-proof is a c2sp.org/tlog-proof@v1 file: the entry's index, its inclusion proof and the checkpoint. Check it with the leaf hash of step 3, e.g. with Go's golang.org/x/mod/sumdb/tlog.CheckRecord against the checkpoint's size and root.",
    "6. Quorum: each step must be proven in the logs of at least k operators (log_quorum in policy.json).",
    "7. Events: events/NN-LEAF.jsonld holds the EPCIS 2.0 event its device signed. A plain entry is \"tally/entry/v1\\n\", one kind byte, a 4-byte big-endian length, then those bytes; its last 96 bytes are the signer's Ed25519 key and its signature over \"tally/entry-signature/v1\\n\" and every byte before the signature. Sealed entries open with the secrets in labels.txt (tally-verify does this).",
    "8. Authority: the registry records under entries/ (listed in manifest.json as records) show which organisation registered each signing device, for which roles and places, signed by the network's governance keys in policy.json.",
];

const STEPS_ZH: &[&str] = &[
    "1. 使用 Tally 独立验证程序（不含任何网络代码）：tally-verify --policy 网络策略.json 证据包.tar。它执行以下全部检查并重新计算判定；退出码 0 为已验证，3 为警告，4 为无法验证，1 为验证失败或文件被改动。",
    "2. 完整性：在 tally-evidence 目录中运行 sha256sum -c SHA256SUMS，每个文件都必须显示 OK。",
    "3. 叶哈希：每个记录文件以其 RFC 6962 叶哈希命名：(printf '\\0'; cat entries/叶哈希.entry) | sha256sum 输出即为该叶哈希。",
    "4. 检查点：policy/账本.tlog-policy 列出每个账本的公钥及其见证人的公钥（c2sp.org/tlog-policy）。checkpoints/账本 必须能以该账本公钥验证为 C2SP 签名笔记，并带有足够的见证人联署；任何签名笔记验证程序均可，例如 Go 的 golang.org/x/mod/sumdb/note。",
    "5. 包含证明：proofs/叶哈希.账本.tlog-proof 是 c2sp.org/tlog-proof@v1 文件，包含记录序号、包含证明和检查点。用第 3 步的叶哈希检查，例如用 Go 的 golang.org/x/mod/sumdb/tlog.CheckRecord 对照检查点的大小和根哈希。",
    "6. 法定数：每个步骤都必须由至少 k 个不同运营方的账本证明（policy.json 中的 log_quorum）。",
    "7. 事件：events/序号-叶哈希.jsonld 是设备签名的 EPCIS 2.0 事件原文。未加密的记录依次为 \"tally/entry/v1\\n\"、一个类型字节、4 字节大端长度和事件原文；最后 96 字节是签名者的 Ed25519 公钥及其对 \"tally/entry-signature/v1\\n\" 加签名前全部字节的签名。加密记录可用 labels.txt 中的标签密钥打开（tally-verify 会自动完成）。",
    "8. 授权：entries/ 中的登记记录（manifest.json 的 records）表明每台签名设备由哪个组织登记、可用于哪些角色和地点，并由 policy.json 中的治理密钥签署。",
];

/// `README.txt`.
pub fn readme(m: &Manifest) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Tally evidence package / Tally 证据包\n");
    for line in summary(m) {
        let _ = writeln!(s, "{line}");
    }
    let _ = writeln!(s, "\nThis archive is the whole evidence of one product's custody history: the events as their devices signed them, each log's signed and cosigned checkpoint, an inclusion proof of every entry in every log, the registry records that authorised each signer, and the network policy. report.pdf shows it for people; only the signed files are evidence.\n");
    let _ = writeln!(s, "本归档包含一件产品监管链的全部证据：设备签名的事件原文、各账本经签名和联署的检查点、每条记录在每个账本中的包含证明、授权各签名者的登记记录以及网络策略。report.pdf 供人阅读；只有经签名的文件才是证据。\n");
    let _ = writeln!(s, "How to check it / 如何验证\n");
    for (en, zh) in STEPS_EN.iter().zip(STEPS_ZH) {
        let _ = writeln!(s, "{en}\n{zh}\n");
    }
    s
}

/// The product, verdict, time and policy, one per line.
fn summary(m: &Manifest) -> Vec<String> {
    vec![
        format!("Product / 产品: {}", m.product),
        format!("Verdict / 判定: {}", verdict(&m.verdict)),
        format!("Exported / 导出时间: {}", m.exported_at),
        format!("Network policy / 网络策略: {}", m.policy_fingerprint),
    ]
}

/// The PDF's lines.
pub(crate) fn lines(m: &Manifest) -> Vec<Line> {
    let mut out = vec![Line::Title("Tally evidence report / Tally 证据报告".into())];
    out.extend(summary(m).into_iter().map(Line::Text));
    out.push(Line::Gap);
    out.push(Line::Heading("Timeline / 时间线".into()));
    for (n, s) in m.steps.iter().enumerate() {
        let what = s.biz_step.as_deref().unwrap_or(&s.event_type);
        let who = match (&s.org_name, &s.org) {
            (Some(name), Some(gln)) => format!("{name} (GLN {gln})"),
            _ => "not authorised / 未经授权".into(),
        };
        let who = match s.authority {
            true => format!("{who}, authority attestation / 官方机构证明"),
            false => who,
        };
        out.push(Line::Text(format!("{}. {}  {what}  {who}", n + 1, s.time)));
        let signer = s.signer.as_deref().unwrap_or("-");
        out.push(Line::Detail(format!(
            "Signed by device / 签名设备: {signer}"
        )));
        let logs: Vec<&str> = s.proofs.keys().map(String::as_str).collect();
        out.push(Line::Detail(format!(
            "Proven in / 证明账本: {}",
            logs.join(", ")
        )));
        out.push(Line::Detail(format!(
            "Event Hash ID / 事件哈希: {}",
            s.hash_id
        )));
        out.push(Line::Detail(format!("Leaf hash / 叶哈希: {}", s.leaf)));
        out.push(Line::Detail(format!("Event file / 事件文件: {}", s.event)));
        out.push(Line::Space);
    }
    out.push(Line::Gap);
    out.push(Line::Heading("Logs and witnesses / 账本与见证人".into()));
    for l in &m.logs {
        out.push(Line::Text(format!(
            "{} ({}): {} entries / 条记录",
            l.name, l.operator, l.size
        )));
        out.push(Line::Detail(format!("Root hash / 根哈希: {}", l.root)));
        let by = if l.cosigners.is_empty() {
            "-".into()
        } else {
            l.cosigners.join(", ")
        };
        out.push(Line::Detail(format!("Cosigned by / 联署见证人: {by}")));
    }
    out.push(Line::Text(format!(
        "Registry records / 登记记录: {}",
        m.records.len()
    )));
    if !m.reasons.is_empty() {
        out.push(Line::Gap);
        out.push(Line::Heading("Findings / 判定依据".into()));
        for r in &m.reasons {
            out.push(Line::Detail(r.to_string()));
        }
    }
    out.push(Line::Gap);
    out.push(Line::Heading("How to check it / 如何验证".into()));
    for (en, zh) in STEPS_EN.iter().zip(STEPS_ZH) {
        out.push(Line::Text((*en).into()));
        out.push(Line::Text((*zh).into()));
    }
    out
}

/// Every character the report's fixed words use: what a font must cover.
pub(crate) fn fixed_chars() -> String {
    let mut s: String = STEPS_EN.concat() + &STEPS_ZH.concat();
    for v in ["verified", "warning", "unverifiable", "failed"] {
        s.push_str(verdict(v));
    }
    s + "官方机构证明产品判定导出时间网络策略证据报告时间线未经授权签名设备证明账本事件哈希叶哈希事件文件账本与见证人条记录根哈希联署见证人登记记录判定依据如何验证"
}
