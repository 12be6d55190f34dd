/**
 * What a rep sees instead of a badge for a lead in the holdout (control)
 * group: a neutral grey pill, no band colour, no score, no reasons.
 */
export const CONTROL_GROUP_LABEL = 'Not scored — control group';
export const CONTROL_GROUP_DESCRIPTION = 'This lead is in the holdout group used to measure lift; its score is hidden.';

/**
 * The pill. Its tooltip carries the description; `describedBy` names the
 * element that says it for assistive technology (a visible sentence on the
 * lead page, a hidden one referenced by each queue row).
 */
export function ControlGroupPill({ size = 'md', describedBy }: { size?: 'md' | 'lg'; describedBy?: string }) {
  return (
    <span
      className={`badge badge--control badge--${size}`}
      data-testid="control-pill"
      title={CONTROL_GROUP_DESCRIPTION}
      aria-describedby={describedBy}
    >
      {CONTROL_GROUP_LABEL}
    </span>
  );
}
