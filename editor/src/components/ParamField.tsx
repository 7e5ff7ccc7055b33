import { useEffect, useState } from 'react';
import { PIPELINES, type ParamMeta } from '../../../nodes';
import { listAssets, uploadAsset, type AssetInfo } from '../runtime';

/** The JSON Schema bits a field reads (from paramsJsonSchema). */
export interface FieldSchema {
  type?: string;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  default?: unknown;
}

export interface FieldProps {
  nodeId: string;
  name: string;
  meta: ParamMeta;
  schema: FieldSchema;
  value: unknown;
  /** Validates a value against the param's zod schema; returns an error message or null. */
  validate: (value: unknown) => string | null;
  onChange: (value: unknown, coalesce: boolean) => void;
}

function widgetFor(meta: ParamMeta, schema: FieldSchema): NonNullable<ParamMeta['widget']> {
  if (meta.widget) return meta.widget;
  if (schema.enum) return 'select';
  if (schema.type === 'boolean') return 'toggle';
  if (schema.type === 'number' || schema.type === 'integer')
    return schema.minimum !== undefined && schema.maximum !== undefined ? 'slider' : 'number';
  if (schema.type === 'string') return 'text';
  return 'json';
}

/** A number input that commits valid numbers and shows why others are refused. */
function NumberInput({
  value,
  schema,
  validate,
  onChange,
  testId,
}: {
  value: number;
  schema: FieldSchema;
  validate: FieldProps['validate'];
  onChange: (v: number) => void;
  testId: string;
}) {
  const [text, setText] = useState(String(value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(String(value)), [value]);
  const commit = () => {
    const n = Number(text);
    const err = text.trim() === '' || !Number.isFinite(n) ? 'enter a number' : validate(n);
    setError(err);
    if (!err && n !== value) onChange(n);
  };
  return (
    <>
      <input
        type="number"
        data-testid={testId}
        value={text}
        min={schema.minimum}
        max={schema.maximum}
        step={schema.multipleOf ?? (schema.type === 'integer' ? 1 : 'any')}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
      {error && <div className="field-error">{error}</div>}
    </>
  );
}

function AssetPicker({
  value,
  assetType,
  onChange,
  testId,
}: {
  value: string;
  assetType: 'image' | 'video';
  onChange: (v: string) => void;
  testId: string;
}) {
  const [assets, setAssets] = useState<AssetInfo[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const refresh = () =>
    listAssets(assetType)
      .then((a) => setAssets(a))
      .catch((e: Error) => setStatus(e.message));
  useEffect(() => {
    void refresh();
  }, [assetType]);
  return (
    <div className="asset-picker">
      <select data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">— none —</option>
        {value && !assets.some((a) => a.path === value) && <option value={value}>{value}</option>}
        {assets.map((a) => (
          <option key={a.path} value={a.path}>
            {a.name}
          </option>
        ))}
      </select>
      <label className="upload">
        Upload
        <input
          type="file"
          accept={assetType === 'image' ? 'image/*' : 'video/*'}
          data-testid={`${testId}-upload`}
          onChange={async (e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            setStatus(`uploading ${file.name}…`);
            try {
              const info = await uploadAsset(file);
              await refresh();
              onChange(info.path);
              setStatus(null);
            } catch (err) {
              setStatus((err as Error).message);
            }
          }}
        />
      </label>
      {status && <div className="field-note">{status}</div>}
    </div>
  );
}

/** One inspector field, chosen by the param's widget (or its schema). */
export function ParamField({ nodeId, name, meta, schema, value, validate, onChange }: FieldProps) {
  const widget = widgetFor(meta, schema);
  const testId = `field-${nodeId}-${name}`;
  const [jsonText, setJsonText] = useState(() => JSON.stringify(value));
  const [jsonError, setJsonError] = useState<string | null>(null);
  useEffect(() => setJsonText(JSON.stringify(value)), [value]);

  let input: React.ReactNode;
  switch (widget) {
    case 'slider': {
      const min = schema.minimum ?? 0;
      const max = schema.maximum ?? 1;
      const v = typeof value === 'number' ? value : Number(schema.default ?? min);
      input = (
        <div className="slider-row">
          <input
            type="range"
            data-testid={testId}
            min={min}
            max={max}
            step={meta.step ?? (max - min) / 100}
            value={v}
            onChange={(e) => onChange(Number(e.target.value), true)}
          />
          <NumberInput
            value={v}
            schema={schema}
            validate={validate}
            onChange={(n) => onChange(n, false)}
            testId={`${testId}-number`}
          />
        </div>
      );
      break;
    }
    case 'number':
      input = (
        <NumberInput
          value={typeof value === 'number' ? value : Number(schema.default ?? 0)}
          schema={schema}
          validate={validate}
          onChange={(n) => onChange(n, false)}
          testId={testId}
        />
      );
      break;
    case 'toggle':
      input = (
        <input
          type="checkbox"
          className="toggle"
          data-testid={testId}
          checked={value === true}
          onChange={(e) => onChange(e.target.checked, false)}
        />
      );
      break;
    case 'select': {
      const options: { value: string; label: string }[] =
        name === 'pipeline_id'
          ? PIPELINES.map((p) => ({
              value: p.id,
              label: `${p.name}${p.kind === 'gpu' ? ' (GPU)' : p.kind === 'onnx' ? ' (ONNX)' : ''}`,
            }))
          : (schema.enum ?? []).map((o) => ({ value: String(o), label: String(o) }));
      const current = String(value ?? '');
      input = (
        <select data-testid={testId} value={current} onChange={(e) => onChange(e.target.value, false)}>
          {!options.some((o) => o.value === current) && <option value={current}>{current}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
      break;
    }
    case 'text':
      input = (
        <input
          type="text"
          data-testid={testId}
          value={String(value ?? '')}
          onChange={(e) => onChange(e.target.value, true)}
        />
      );
      break;
    case 'textarea':
      input = (
        <textarea
          data-testid={testId}
          value={String(value ?? '')}
          onChange={(e) => onChange(e.target.value, true)}
        />
      );
      break;
    case 'asset':
      input = (
        <AssetPicker
          value={String(value ?? '')}
          assetType={meta.assetType ?? 'image'}
          onChange={(v) => onChange(v, false)}
          testId={testId}
        />
      );
      break;
    case 'asset-list': {
      const list = Array.isArray(value) ? (value as string[]) : [];
      input = (
        <div className="asset-list" data-testid={testId}>
          {list.map((p, i) => (
            <div key={i} className="asset-list-row">
              <span title={p}>{p}</span>
              <button
                className="icon"
                title="Remove"
                onClick={() =>
                  onChange(
                    list.filter((_, j) => j !== i),
                    false,
                  )
                }
              >
                ✕
              </button>
            </div>
          ))}
          <AssetPicker
            value=""
            assetType={meta.assetType ?? 'image'}
            onChange={(v) => v && onChange([...list, v], false)}
            testId={`${testId}-add`}
          />
        </div>
      );
      break;
    }
    case 'prompt-list': {
      const list = Array.isArray(value) ? (value as { text: string; weight: number }[]) : [];
      input = <PromptList prompts={list} onChange={(v, c) => onChange(v, c)} testId={testId} />;
      break;
    }
    case 'sinks': {
      const sinks = (value ?? {}) as Record<string, { enabled: boolean; name: string }>;
      input = (
        <div className="sinks" data-testid={testId}>
          {Object.entries(sinks).map(([kind, s]) => (
            <div key={kind} className="sink-row">
              <label>
                <input
                  type="checkbox"
                  checked={s.enabled}
                  onChange={(e) => onChange({ ...sinks, [kind]: { ...s, enabled: e.target.checked } }, false)}
                />{' '}
                {kind.toUpperCase()}
              </label>
              <input
                type="text"
                value={s.name}
                onChange={(e) => onChange({ ...sinks, [kind]: { ...s, name: e.target.value } }, true)}
              />
            </div>
          ))}
        </div>
      );
      break;
    }
    case 'timeline':
      input = (
        <div className="field-note">
          {Array.isArray(value) ? value.length : 0} entries — edit them in the timeline below.
        </div>
      );
      break;
    default:
      input = (
        <>
          <textarea
            data-testid={testId}
            className="mono"
            value={jsonText}
            onChange={(e) => {
              setJsonText(e.target.value);
              try {
                const v = JSON.parse(e.target.value);
                const err = validate(v);
                setJsonError(err);
                if (!err) onChange(v, true);
              } catch {
                setJsonError('not valid JSON');
              }
            }}
          />
          {jsonError && <div className="field-error">{jsonError}</div>}
        </>
      );
  }
  return (
    <div className={`field widget-${widget}`} data-param={name}>
      <div className="field-label">
        <label title={meta.description}>{meta.label}</label>
        {meta.mark === 'load' ? (
          <span
            className="mark-load"
            data-testid={`loadmark-${nodeId}-${name}`}
            title="Changing this reloads the node or its model; the output holds its last frame meanwhile."
          >
            ⟳ applies when the model reloads
          </span>
        ) : (
          <span className="mark-live" title="Applies on the next frame.">
            live
          </span>
        )}
      </div>
      {input}
    </div>
  );
}

/** Prompts with weights: text, a weight slider, add and remove. */
export function PromptList({
  prompts,
  onChange,
  testId,
}: {
  prompts: { text: string; weight: number }[];
  onChange: (v: { text: string; weight: number }[], coalesce: boolean) => void;
  testId: string;
}) {
  const update = (i: number, patch: Partial<{ text: string; weight: number }>, coalesce: boolean) =>
    onChange(
      prompts.map((p, j) => (j === i ? { ...p, ...patch } : p)),
      coalesce,
    );
  return (
    <div className="prompt-list" data-testid={testId}>
      {prompts.map((p, i) => (
        <div key={i} className="prompt-row">
          <textarea
            data-testid={`${testId}-text-${i}`}
            value={p.text}
            rows={2}
            onChange={(e) => update(i, { text: e.target.value }, true)}
          />
          <div className="prompt-weight">
            <input
              type="range"
              min={0}
              max={1}
              step={0.01}
              value={p.weight}
              data-testid={`${testId}-weight-${i}`}
              onChange={(e) => update(i, { weight: Number(e.target.value) }, true)}
            />
            <span>{p.weight.toFixed(2)}</span>
            <button
              className="icon"
              title="Remove prompt"
              disabled={prompts.length <= 1}
              onClick={() =>
                onChange(
                  prompts.filter((_, j) => j !== i),
                  false,
                )
              }
            >
              ✕
            </button>
          </div>
        </div>
      ))}
      <button
        className="small"
        onClick={() => onChange([...prompts, { text: '', weight: 1 }], false)}
        disabled={prompts.length >= 16}
      >
        + prompt
      </button>
    </div>
  );
}
