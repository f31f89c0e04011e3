---@meta
-- LuaLS stubs for the object hooks receive: `w` in a wave's before/after/on_failure hook, `x` in the
-- plan's cleanup (engine: lua/plan/context.lua). Every method is a host call: it is journaled, may pause
-- the hook while the engine works, and on a restart returns its recorded result instead of acting again.
-- Contract: a misuse (wrong argument) raises an error at your line; an operational failure returns
-- nil, message, code (codes such as "EAWS", "ETIMEDOUT", "ENOTFOUND").

---@class Server
---@field id string Source server id.
---@field hostname? string
---@field instance_id? string EC2 instance id of the recovery instance.
---@field private_ip? string

---@class SsmSpec
---@field commands? string|string[] Shell (or PowerShell) lines.
---@field document? string SSM document, default "AWS-RunShellScript"; others must be in the plan's ssm_documents (else "EPERM").
---@field parameters? table<string, any>
---@field instance_ids? string[] Default: every recovered instance of the wave. Only the wave's own instances and those of the waves it depends on are allowed (else nil, message, "EPERM").
---@field timeout? Duration|number

---@class SsmResult
---@field status string "Success", "Failed", "TimedOut", ...
---@field instances {instance_id: string, status: string, exit_code: integer, stdout: string, stderr: string}[]

---@class Context
---@field name? string The wave (absent for cleanup).
---@field mode "drill"|"recovery"
---@field execution_id string
---@field plan? string
---@field phase? "before"|"after"|"on_failure"|"cleanup"
---@field attempt? integer 1 for the first launch of the wave, 2 after a retry...
---@field servers? Server[] The wave's servers.
---@field error? string Why the wave failed (on_failure hooks).
---@field waves? table<string, {status: string, servers: Server[]}> The waves this one depends on, by name (every wave for cleanup).
---@field ssm_documents? string[] The SSM documents the plan declares.
Context = {}

--- Run an SSM command on the wave's recovered instances and wait for it.
---@param spec SsmSpec|string
---@return SsmResult|nil result
---@return string? message
---@return string? code
function Context:ssm_run(spec) end

--- Any AWS API call through the engine's signed, retried request pipeline.
---@param service string "ec2", "route53", "elasticloadbalancing", ...
---@param operation string "DescribeInstances", ...
---@param params? table
---@return table|nil response
---@return string? message
---@return string? code
function Context:aws(service, operation, params) end

--- Pause the hook (on the execution clock; survives restarts).
---@param duration Duration|number Seconds when a number.
---@return true|nil
function Context:sleep(duration) end

--- Poll `check` until it returns a true value, sleeping `interval` between tries.
---@param check fun(): any
---@param opts? {timeout?: Duration, interval?: Duration, what?: string}
---@return any ... What check returned; or nil, "timed out ...", "ETIMEDOUT".
function Context:wait_until(check, opts) end

--- Ask a person to approve before going on.
---@param message string
---@param opts? {timeout?: Duration}
---@return true|nil approved
---@return string? message
---@return string? code
function Context:approve(message, opts) end

--- Publish to the plan's notification targets.
---@param message string
---@param opts? {subject?: string}
---@return true|nil
---@return string? message
---@return string? code
function Context:notify(message, opts) end

--- A line in the execution log; string.format(fmt, ...) when arguments follow.
---@param fmt string
---@param ... any
function Context:log(fmt, ...) end

--- The execution clock, milliseconds since the epoch.
---@return integer
function Context:now() end

--- Random numbers that replay identically: () -> [0, 1), (n) -> [1, n], (m, n) -> [m, n].
---@param m? integer
---@param n? integer
---@return number
function Context:random(m, n) end

--- In a drill a false `ok` fails the hook; in a recovery it records a warning and the hook goes on.
---@param ok any
---@param what? string
---@return any ok
function Context:expect(ok, what) end

--- A false `ok` fails the hook in drills and recoveries alike (even inside pcall).
---@param ok any
---@param what? string
---@return any ok
function Context:assert(ok, what) end
