// PEP 503 / core-metadata project names: normalisation and validity.

const VALID_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

const NORMALIZED = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** PEP 503: lower-case, and runs of `-`, `_`, `.` become one `-`. */
export function normalizeName(name: string): string {
  // Hot in matching (every affected entry of every advisory): most names are already normalised.
  return NORMALIZED.test(name) ? name : name.replace(/[-_.]+/g, "-").toLowerCase();
}

/** A valid distribution name per the core metadata spec. */
export function isValidName(name: string): boolean {
  return VALID_NAME.test(name);
}
