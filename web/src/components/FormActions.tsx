/** A form's Cancel and submit buttons; while saving both are disabled and the submit button spins. */
import { Spinner } from './States';

export function FormActions({
  saving,
  onCancel,
  submitLabel,
  submitTestId,
}: {
  saving: boolean;
  onCancel: () => void;
  submitLabel: string;
  submitTestId: string;
}) {
  return (
    <div className="form-actions">
      <button type="button" className="button button--ghost" onClick={onCancel} disabled={saving}>
        Cancel
      </button>
      <button type="submit" className="button button--primary" disabled={saving} data-testid={submitTestId}>
        {saving ? <Spinner label="Saving" /> : null} {submitLabel}
      </button>
    </div>
  );
}
