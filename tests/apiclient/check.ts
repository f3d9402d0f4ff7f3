// Compiled with `tsc --noEmit --strict` against the types openapi-typescript generates from
// /api/schema/ (tests/apiclient/test_generated_clients.py): a partner's TypeScript code that reads
// meetings, confirms attendance, signs and marks an obligation met type-checks, and values the
// API refuses do not.
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
type AttendanceStatus = Schemas["AttendanceStatusEnum"];

const present: AttendanceStatus = "present";
// @ts-expect-error: an attendance status is one of the enum's values, not any string
const maybe: AttendanceStatus = "maybe";

type ConfirmBody =
  paths["/api/v1/meetings/{id}/confirm-attendance/"]["post"]["requestBody"]["content"]["application/json"];
const confirm: ConfirmBody = { status: present };

type Meeting =
  paths["/api/v1/meetings/{id}/"]["get"]["responses"][200]["content"]["application/json"];
function attendanceOf(meeting: Meeting, organisationId: number): AttendanceStatus | undefined {
  return meeting.attendances.find((a) => a.organisation.id === organisationId)?.status;
}

type SignBody =
  paths["/api/v1/agreements/{id}/sign/"]["post"]["requestBody"] extends infer B
    ? B extends { content: { "application/json": infer J } }
      ? J
      : never
    : never;
const sign: SignBody = { signed_by_name: "Lee Park", signed_by_title: "Clerk" };

type MarkMetBody =
  paths["/api/v1/obligations/{id}/mark-met/"]["post"]["requestBody"]["content"]["application/json"];
const met: MarkMetBody = { evidence: "EFT 2026-0117", evidence_url: "https://example.org/eft" };

type SignConflict =
  paths["/api/v1/agreements/{id}/sign/"]["post"]["responses"][409]["content"]["application/json"];
const conflict: SignConflict = { organisation: ["Already signed."] };

type InterventionKind = Schemas["InterventionKindEnum"];
const call: InterventionKind = "call";

type Ordering = NonNullable<
  NonNullable<paths["/api/v1/obligations/"]["get"]["parameters"]["query"]>["ordering"]
>;
const byDueDate: Ordering = "-due_date";
// @ts-expect-error: ordering takes the documented fields only
const byNothing: Ordering = "colour";

export const used = [maybe, confirm, attendanceOf, sign, met, conflict, call, byDueDate, byNothing];
