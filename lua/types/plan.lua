---@meta
-- LuaLS stubs for the plan DSL (engine: lua/plan/dsl.lua). Point your editor's Lua language server at
-- lua/types ("workspace.library") to get completion and type checks in plan files.
-- CI checks these stubs against the engine (tests/lua/stub_check.c): every global here exists, every
-- engine global is here.

---@alias Duration string A duration: "90s", "45m", "1h30m", "2d", "500ms".

---@class Selector
---@field kind "group"|"tags"
---@field group? string
---@field tags? table<string, string>

---@class LaunchSettings
---@field instance_type? string EC2 instance type, e.g. "m5.large"
---@field copy_private_ip? boolean
---@field copy_tags? boolean
---@field launch_disposition? "STARTED"|"STOPPED"
---@field right_sizing? "NONE"|"BASIC"|"IN_AWS"
---@field os_byol? boolean
---@field subnet_id? string
---@field security_group_ids? string[]
---@field tags? table<string, string>

---@class Approval
---@field message string What the approver confirms.
---@field timeout? Duration
---@field approvers? string[]

---@class OnFailure
---@field policy? "fail"|"continue"|string "retry(n)" with n from 1 to 10
---@field run? fun(w: Context)

---@class WaveSpec
---@field name? string Only with the wave { name = ... } form.
---@field description? string
---@field depends_on? string|string[] Waves that must complete first.
---@field servers? Selector|string[] group "x", tags { ... }, or source server ids ("s-" + 17 hex digits).
---@field snapshot? "latest"|string "latest" (default) or an ISO-8601 time: the newest snapshot at or before it.
---@field launch? LaunchSettings Launch overrides for this wave.
---@field approval? string|Approval A gate before the wave launches.
---@field on_failure? "fail"|"continue"|string|fun(w: Context)|OnFailure Policy ("fail", "continue", "retry(2)") or hook.
---@field before? fun(w: Context) Runs before the wave launches.
---@field after? fun(w: Context) Runs once the wave's servers are recovered.
---@field timeout? Duration

---@class Notify
---@field sns? string|string[] SNS topic ARNs.
---@field events? string[] execution_started, wave_started, wave_completed, wave_failed, approval_requested, execution_completed, execution_failed, cleanup_done

---@class PlanSpec
---@field name string
---@field description? string
---@field region? string
---@field account? string 12-digit account id.
---@field rto_target? Duration
---@field rpo_target? Duration
---@field notify? Notify
---@field waves WaveSpec[]
---@field cleanup? fun(x: Context) Runs after a drill, before recovery instances are terminated.
---@field launch? LaunchSettings Defaults for every wave.
---@field snapshot? "latest"|string Default for every wave.
---@field aws_allow? string[] AWS calls hooks may make with w:aws: "service:Operation", "service:*" or "*", within the operator's plans.aws_allow_ceiling.
---@field ssm_documents? string[] SSM documents the hooks run with w:ssm_run (besides AWS-RunShellScript/AWS-RunPowerShellScript); checked by preflight.

--- The plan: a plan file ends with `return plan { ... }`.
---@param spec PlanSpec
---@return PlanSpec
function plan(spec) end

--- A wave: `wave "database" { servers = ..., depends_on = { ... } }`.
---@param name string|WaveSpec
---@return fun(spec: WaveSpec): WaveSpec
function wave(name) end

--- The servers of a protection group, resolved when the execution starts.
---@param name string
---@return Selector
function group(name) end

--- The source servers carrying all these tags, resolved when the execution starts.
---@param t table<string, string>
---@return Selector
function tags(t) end
