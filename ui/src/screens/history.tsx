// A verified history as a shopper reads it: the verdict first, then the journey, each step
// opening to its evidence.
import { useEffect, useRef } from "preact/hooks";
import type { BookkeeperView, History, Severity, Status, StepView } from "../api";
import { Icon } from "../icons";
import { useApp } from "../app";
import { ago, detailLabel, stageName, statusWord, warningText } from "../i18n";
import { chart } from "../logic/chart";
import { countryName, dateTime, detailValue, keyName, nowSeconds, short } from "../logic/format";
import { orderedWarnings, productParts, provenBy, verdictSentence, warningsOfStep } from "../logic/verdict";

const STATUS_ICON: Record<Status, string> = { verified: "✓", warning: "!", unverifiable: "?", failed: "✕" };
const SEVERITY_ICON: Record<Severity, string> = { info: "info", warning: "warning", unverifiable: "unknown", failed: "warning" };

export function Verdict(props: { h: History; focus?: boolean }) {
  const { tr, lang } = useApp();
  const { h } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (props.focus) heading.current?.focus();
  }, [h, props.focus]);
  const parts = productParts(h.product);
  const sentence = tr(verdictSentence(h), { k: provenBy(h), n: h.quorum[1] });
  const source =
    h.source === "live" ? tr("source_live")
      : h.source === "cached" ? tr("source_cached", { age: ago(lang, h.checked_at, nowSeconds()) })
        : tr("source_offline");
  return (
    <section class={`verdict ${h.status}`} id="verdict" data-status={h.status} aria-live="polite">
      <div class="verdict-head">
        <span class="verdict-icon" aria-hidden="true">{STATUS_ICON[h.status]}</span>
        <div>
          <h1 id="verdict-word" tabIndex={-1} ref={heading}>{statusWord(lang, h.status)}</h1>
          <p class="verdict-sentence">{sentence}</p>
        </div>
      </div>
      {h.warnings.length > 0 && (
        <ul class="warnings" id="warnings">
          {orderedWarnings(h.warnings).map((w) => (
            <li class={`warn-item ${w.severity}`} data-code={w.code}>
              <Icon name={SEVERITY_ICON[w.severity]} size={20} /> <span>{warningText(lang, w)}</span>
            </li>
          ))}
        </ul>
      )}
      <LabelLine h={h} />
      <p class={h.source === "live" ? "source muted" : "source offline"} id="source">{source}</p>
      <p class="product muted small">
        {parts.gtin && <span>GTIN {parts.gtin}</span>}
        {parts.lot && <span> · {tr("detail_lotNumber")} {parts.lot}</span>}
        {parts.serial && <span> · #{parts.serial}</span>}
      </p>
    </section>
  );
}

/** What the label's own signature says (GS1 AI 8030): a seal for the brand's, a plain note for
 *  none, a warning mark for a forged or revoked one (its warning above says why). */
function LabelLine(props: { h: History }) {
  const { tr } = useApp();
  const l = props.h.label ?? { state: "unsigned" };
  const text =
    l.state === "signed" ? tr("label_signed", { name: l.name })
      : l.state === "signer_revoked" ? tr("label_signer_revoked", { name: l.name })
        : tr(`label_${l.state}`);
  const icon = l.state === "signed" ? "✓" : l.state === "unsigned" || l.state === "unchecked" ? "·" : "✕";
  return (
    <p class={`label-check ${l.state}`} id="label-check" data-state={l.state}>
      <span aria-hidden="true">{icon}</span> {text}
    </p>
  );
}

function ColdChart(props: { h: History }) {
  const { tr, lang } = useApp();
  const c = chart(props.h);
  if (!c) return null;
  const range = props.h.cold_chain;
  const label = [
    range ? tr("cold_range", { min: range.min, max: range.max }) : "",
    ...c.points.map((p) => `${p.celsius} °C${p.excursion ? ` (${tr("excursion")})` : ""}`),
  ].join("; ");
  return (
    <section class="card" aria-labelledby="cold-title" id="cold-chain">
      <h2 id="cold-title">{tr("cold_chain")}</h2>
      {range && <p class="muted small">{tr("cold_range", { min: range.min, max: range.max })}</p>}
      <svg viewBox={`0 0 ${c.width} ${c.height}`} class="chart" role="img" aria-label={label}>
        {c.band && <rect class="band" x="0" y={c.band.top} width={c.width} height={Math.max(1, c.band.bottom - c.band.top)} />}
        {c.ticks.map((v) => {
          const y = 16 + ((c.max - v) / (c.max - c.min)) * (c.height - 32);
          return (
            <g>
              <line class="grid" x1="14" x2={c.width} y1={y} y2={y} />
              <text class="tick" x="0" y={y + 3}>{v}</text>
            </g>
          );
        })}
        <path class="line" d={c.path} />
        {c.points.map((p) => (
          <circle class={p.excursion ? "pt excursion" : "pt"} cx={p.x} cy={p.y} r={p.excursion ? 5 : 3}>
            <title>{`${p.celsius} °C ${p.time ? dateTime(lang, p.time) : ""}`}</title>
          </circle>
        ))}
      </svg>
      <ul class="legend small">
        {c.points.filter((p) => p.excursion).map((p) => (
          <li class="bad excursion-item">⚠ {p.celsius} °C {p.time ? dateTime(lang, p.time) : ""} — {tr("excursion")}</li>
        ))}
      </ul>
    </section>
  );
}

function Evidence(props: { s: StepView; bookkeepers: BookkeeperView[] }) {
  const { tr } = useApp();
  const { s } = props;
  return (
    <div class="evidence">
      <h4>{tr("evidence")}</h4>
      <dl>
        <dt>{tr("signed_by_device")}</dt>
        <dd><code title={s.evidence.signer ?? ""}>{s.evidence.signer ? `${keyName(s.evidence.signer)} · ${short(s.evidence.signer.split("+").pop() ?? "", 6)}` : tr("unknown")}</code></dd>
        <dt>{tr("for_org")}</dt>
        <dd>{s.org ?? tr("unknown")}{s.org_gln ? ` (GLN ${s.org_gln})` : ""}</dd>
        <dt>{tr("in_logs")}</dt>
        <dd>
          <ul class="plain">
            {s.evidence.bookkeepers.map((name) => {
              const b = props.bookkeepers.find((x) => x.name === name);
              return (
                <li class="bk-evidence">
                  <strong>{name}</strong>
                  {b?.checkpoint_size != null && <span> · {tr("checkpoint_size", { size: b.checkpoint_size })}</span>}
                  {b && b.cosigners.length > 0 && <span> · {tr("cosigned_by", { names: b.cosigners.join(", ") })}</span>}
                </li>
              );
            })}
          </ul>
        </dd>
        <dt>{tr("hash_id")}</dt>
        <dd><code class="wrap">{s.evidence.hash_id}</code></dd>
        <dt>{tr("entry_hash")}</dt>
        <dd><code class="wrap">{s.evidence.entry}</code></dd>
      </dl>
      <details>
        <summary>{tr("event_json")}</summary>
        <pre class="json">{pretty(s.evidence.event)}</pre>
      </details>
    </div>
  );
}

/** The lot master data a shopper looks for at the origin: vessel or farm, catch area, dates. */
const HEADLINE = ["vesselName", "farmName", "catchArea", "harvestStartDate", "countryOfOrigin"];
function headline(s: StepView): [string, string][] {
  return HEADLINE.flatMap((k) => s.details.filter(([name]) => name === k).slice(0, 1)).slice(0, 3);
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

export function Timeline(props: { h: History }) {
  const { tr, lang } = useApp();
  const { h } = props;
  return (
    <section class="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">{tr("timeline")}</h2>
      {h.steps.length === 0 ? <p class="muted">{tr("no_steps")}</p> : (
        <ol class="timeline" id="timeline">
          {h.steps.map((s, i) => {
            const ws = warningsOfStep(h, i);
            return (
              <li class={s.flagged ? "step flagged" : "step"} data-stage={s.stage} data-org-gln={s.org_gln ?? ""}>
                <details>
                  <summary>
                    <span class="stage-icon"><Icon name={s.stage} /></span>
                    <span class="step-main">
                      <strong class="stage-name">{stageName(lang, s.stage)}</strong>
                      <span class="step-org">{[s.org, countryName(lang, s.org_country)].filter(Boolean).join(" · ")}</span>
                      {s.authority && <span class="step-authority">{tr("authority_attested")}</span>}
                      {s.stage === "origin" && headline(s).length > 0 && (
                        <span class="step-facts">
                          {headline(s).map(([k, v]) => `${detailLabel(lang, k)}: ${detailValue(lang, k, v)}`).join(" · ")}
                        </span>
                      )}
                    </span>
                    <time class="step-time" dateTime={s.time}>{dateTime(lang, s.time)}</time>
                  </summary>
                  <div class="step-body">
                    {ws.map((w) => <p class="bad">⚠ {warningText(lang, w)}</p>)}
                    <dl>
                      {s.place && (<><dt>{tr("place")}</dt><dd>GLN {s.place}</dd></>)}
                      {s.details.map(([k, v]) => (<><dt>{detailLabel(lang, k)}</dt><dd class="detail" data-name={k}>{detailValue(lang, k, v)}</dd></>))}
                      {s.withheld > 0 && (<><dt>{tr("private")}</dt><dd class="withheld">{tr("withheld")}</dd></>)}
                      {s.temperatures.length > 0 && (
                        <><dt>{tr("cold_chain")}</dt>
                          <dd>{s.temperatures.map((t) => <span class={t.excursion ? "temp bad" : "temp"}>{t.celsius} °C </span>)}</dd></>
                      )}
                    </dl>
                    <Evidence s={s} bookkeepers={h.bookkeepers} />
                  </div>
                </details>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

export function Bookkeepers(props: { h: History }) {
  const { tr } = useApp();
  return (
    <section class="card" aria-labelledby="bk-title">
      <h2 id="bk-title">{tr("bookkeepers")}</h2>
      <ul class="plain bk-list">
        {props.h.bookkeepers.map((b) => (
          <li class={b.used ? "ok" : "bad"}>
            <span aria-hidden="true">{b.used ? "✓" : "✕"}</span> <strong>{b.name}</strong> ({b.operator})
            {b.checkpoint_size != null && <span> · {tr("checkpoint_size", { size: b.checkpoint_size })}</span>}
            {b.cosigners.length > 0 && <span> · {tr("cosigned_by", { names: b.cosigners.join(", ") })}</span>}
            {!b.reachable && <span> · {tr("not_reachable")}</span>}
            {b.problem && <span class="small muted"> · {b.problem}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function HistoryView(props: { h: History; focus?: boolean }) {
  return (
    <div class="stack">
      <Verdict h={props.h} focus={props.focus} />
      <Timeline h={props.h} />
      <ColdChart h={props.h} />
      <Bookkeepers h={props.h} />
    </div>
  );
}
