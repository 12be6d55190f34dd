/** The lift page's tables: conversion per band, weekly numbers, time to first touch, drift. */
import { parseBand } from '../lib/band';
import { driftRows, formatDecimal, formatHours, formatInterval, formatPercent, weekLabel } from '../lib/lift';
import type { Arm, BandRow, DriftReport, FirstTouch, Touch, Week } from '../lib/types';
import { Badge } from './Badge';

/** "30 of 80" with the rate and interval under it. */
function ArmCell({ arm }: { arm: Arm | undefined }) {
  if (!arm || arm.decided === 0) return <span className="muted">no outcome yet</span>;
  return (
    <>
      <strong>{formatPercent(arm.win_rate)}</strong>{' '}
      <span className="muted">
        ({arm.won.toLocaleString()} of {arm.decided.toLocaleString()})
      </span>
      <span className="muted small block wrap">95 % CI {formatInterval(arm.ci)}</span>
    </>
  );
}

export function BandsTable({ bands }: { bands: BandRow[] }) {
  if (bands.length === 0) return <p className="muted">No band has leads yet.</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="bands-table">
        <caption className="visually-hidden">Conversion per band</caption>
        <thead>
          <tr>
            <th scope="col">Band</th>
            <th scope="col" className="num">
              Won / decided
            </th>
            <th scope="col" className="num">
              Win rate <span className="block">95 % CI</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {bands.map((b) => {
            const band = parseBand(b.band);
            return (
              <tr key={b.band} data-testid="band-row" data-band={b.band}>
                <th scope="row">{band ? <Badge band={band} /> : b.band}</th>
                <td className="num">
                  {b.won.toLocaleString()} / {b.decided.toLocaleString()}
                  <span className="muted small block">
                    of {b.leads.toLocaleString()} {b.leads === 1 ? 'lead' : 'leads'}
                  </span>
                </td>
                <td className="num" data-testid="band-win-rate">
                  {formatPercent(b.win_rate)}
                  {b.ci ? <span className="muted small block">{formatInterval(b.ci)}</span> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function WeeklyTable({ weeks }: { weeks: Week[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="weekly-table">
        <caption className="visually-hidden">Win rate and lift per weekly cohort</caption>
        <thead>
          <tr>
            <th scope="col">Week of</th>
            <th scope="col">Scored</th>
            <th scope="col">Control</th>
            <th scope="col" className="num">
              Lift
            </th>
          </tr>
        </thead>
        <tbody>
          {weeks.map((w) => (
            <tr key={w.week_start}>
              <th scope="row">{weekLabel(w.week_start, { year: true })}</th>
              <td>
                <ArmCell arm={w.treated} />
              </td>
              <td>
                <ArmCell arm={w.control} />
              </td>
              <td className="num">
                {formatPercent(w.lift, { signed: true })}
                {w.lift_ci ? <span className="muted small block wrap">{formatInterval(w.lift_ci)}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function FirstTouchTable({ touch }: { touch: FirstTouch }) {
  const groups = [
    { key: 'treated', t: touch.treated },
    { key: 'control', t: touch.control },
  ] as const;
  const rows = [
    { key: 'touched', label: 'Leads touched', value: (t: Touch | undefined) => (t?.touched ?? 0).toLocaleString() },
    { key: 'median', label: 'Median, all leads', value: (t: Touch | undefined) => formatHours(t?.median_hours) },
    { key: 'hot-median', label: 'Median, hot leads', value: (t: Touch | undefined) => formatHours(t?.hot_median_hours) },
  ];
  return (
    <div className="table-wrap">
      <table className="table" data-testid="first-touch-table">
        <caption className="visually-hidden">Time from a lead’s arrival to a rep’s first touch, scored against control</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Measure</span>
            </th>
            <th scope="col" className="num">
              Scored
            </th>
            <th scope="col" className="num">
              Control
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {groups.map(({ key, t }) => (
                <td key={key} className="num" data-testid={`touch-${row.key}-${key}`}>
                  {row.value(t)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function DriftTable({ drift }: { drift: DriftReport }) {
  const rows = driftRows(drift);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="drift-table">
        <caption className="visually-hidden">Population stability index (PSI) of the score and each feature, largest first</caption>
        <thead>
          <tr>
            <th scope="col">Input</th>
            <th scope="col" className="num">
              PSI
            </th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-testid="drift-row" data-feature={r.feature ?? ''} data-alert={r.alert}>
              <th scope="row">
                {r.feature === null ? (
                  <>
                    Score <span className="th-note small">(the model’s output)</span>
                  </>
                ) : (
                  <span className="mono small feature-name">{r.feature}</span>
                )}
              </th>
              <td className="num" data-testid="drift-psi">
                {formatDecimal(r.psi, 2)}
              </td>
              <td>
                {r.alert ? (
                  <span className="state-pill state-pill--warning">Drift</span>
                ) : (
                  <span className="state-pill">OK</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
