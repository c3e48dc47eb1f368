#!powershell

# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# Applies a whole plan in one call, with community.windows.win_firewall_rule's
# semantics for each rule (same COM object, same property order, same
# comparison), so switching between the two methods changes nothing on a host.

$ruleOptions = @{
    name = @{ type = 'str'; required = $true }
    group = @{ type = 'str' }
    description = @{ type = 'str' }
    direction = @{ type = 'str'; choices = 'in', 'out' }
    action = @{ type = 'str'; choices = 'allow', 'block' }
    protocol = @{ type = 'str' }
    localport = @{ type = 'str' }
    remoteport = @{ type = 'str' }
    localip = @{ type = 'str' }
    remoteip = @{ type = 'str' }
    program = @{ type = 'str' }
    service = @{ type = 'str' }
    profiles = @{ type = 'list'; elements = 'str' }
    enabled = @{ type = 'bool' }
    state = @{ type = 'str'; choices = @('present'); default = 'present' }
}
$spec = @{
    options = @{
        rules = @{ type = 'list'; elements = 'dict'; default = @(); options = $ruleOptions }
        remove = @{ type = 'list'; elements = 'str'; default = @() }
        expected_counts = @{ type = 'dict'; default = @{} }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$checkMode = $module.CheckMode
$module.Result.created = [System.Collections.Generic.List[String]]@()
$module.Result.updated = [System.Collections.Generic.List[String]]@()
$module.Result.removed = [System.Collections.Generic.List[String]]@()
$diffBefore = [System.Text.StringBuilder]::new()
$diffAfter = [System.Text.StringBuilder]::new()

function ConvertTo-ProtocolType([string]$protocol) {
    $number = $protocol -as [int]
    if ($number -is [int]) { return $number }
    switch -wildcard ($protocol) {
        "tcp" { return 6 }
        "udp" { return 17 }
        "icmpv4*" { return 1 }
        "icmpv6*" { return 58 }
        default { throw "Unknown protocol '$protocol'." }
    }
}

function ConvertTo-Profile($profilesList) {
    $sum = ($profilesList | Select-Object -Unique | ForEach-Object {
            switch ($_) {
                "domain" { 1 }
                "private" { 2 }
                "public" { 4 }
                default { throw "Unknown profile '$_'." }
            }
        } | Measure-Object -Sum).Sum
    if ($sum -eq 7) { return 0x7fffffff }
    return $sum
}

# The order matters, as in win_firewall_rule: properties are set in this order.
$compared = [ordered]@{
    Description = 'description'; Direction = 'direction'; Action = 'action'; ApplicationName = 'program'
    Grouping = 'group'; ServiceName = 'service'; Enabled = 'enabled'; Profiles = 'profiles'
    LocalAddresses = 'localip'; RemoteAddresses = 'remoteip'; LocalPorts = 'localport'
    RemotePorts = 'remoteport'; Protocol = 'protocol'
}

function New-WantedRule($spec) {
    $rule = New-Object -ComObject HNetCfg.FWRule
    $rule.Name = $spec.name
    if ($null -ne $spec.enabled) { $rule.Enabled = $spec.enabled } else { $rule.Enabled = $true }
    if ($null -ne $spec.description) { $rule.Description = $spec.description }
    if ($null -ne $spec.group) { $rule.Grouping = $spec.group }
    if ($null -ne $spec.program -and $spec.program -ne 'any') {
        $rule.ApplicationName = [System.Environment]::ExpandEnvironmentVariables($spec.program)
    }
    if ($null -ne $spec.service -and $spec.service -ne 'any') { $rule.ServiceName = $spec.service }
    if ($null -ne $spec.protocol -and $spec.protocol -ne 'any') { $rule.Protocol = ConvertTo-ProtocolType $spec.protocol }
    if ($null -ne $spec.localport -and $spec.localport -ne 'any') { $rule.LocalPorts = $spec.localport }
    if ($null -ne $spec.remoteport -and $spec.remoteport -ne 'any') { $rule.RemotePorts = $spec.remoteport }
    if ($null -ne $spec.localip -and $spec.localip -ne 'any') { $rule.LocalAddresses = $spec.localip }
    if ($null -ne $spec.remoteip -and $spec.remoteip -ne 'any') { $rule.RemoteAddresses = $spec.remoteip }
    if ($null -ne $spec.direction) { $rule.Direction = @{ in = 1; out = 2 }[$spec.direction] }
    if ($null -ne $spec.action) { $rule.Action = @{ block = 0; allow = 1 }[$spec.action] }
    if ($null -ne $spec.profiles) { $rule.Profiles = [int](ConvertTo-Profile $spec.profiles) }
    $rule
}

function Test-Differs($prop, $existing, $wanted) {
    if ($existing -eq $wanted) { return $false }
    if ($prop -like '*Addresses') {
        if (-not (Compare-Object @("$existing" -split ',') @("$wanted" -split ','))) { return $false }
    }
    return $true
}

try {
    $fw = New-Object -ComObject HNetCfg.FwPolicy2
    $all = @($fw.Rules)
    $byName = @{}
    foreach ($rule in $all) {
        $key = "$($rule.Name)".ToLowerInvariant()
        if (-not $byName.ContainsKey($key)) { $byName[$key] = [System.Collections.Generic.List[Object]]@() }
        $byName[$key].Add($rule)
    }
    $matching = { param($name) $found = $byName["$name".ToLowerInvariant()]; if ($found) { , $found } else { , @() } }

    # Nothing changes unless the host still looks as it did when the plan was made.
    $drift = foreach ($entry in $module.Params.expected_counts.GetEnumerator()) {
        $now = (& $matching $entry.Key).Count
        if ($now -ne [int]$entry.Value) { "'$($entry.Key)': $now rule(s), planned with $($entry.Value)" }
    }
    if ($drift) {
        $module.FailJson("The firewall changed since the plan was made, nothing was applied: $($drift -join '; ')")
    }

    foreach ($spec in $module.Params.rules) {
        $wanted = New-WantedRule $spec
        $existing = & $matching $spec.name
        if ($existing.Count -eq 0) {
            [void]$diffAfter.AppendLine("[$($spec.name)]")
            foreach ($prop in $compared.Keys) { [void]$diffAfter.AppendLine("$prop='$($wanted.$prop)'") }
            if (-not $checkMode) { $fw.Rules.Add($wanted) }
            $module.Result.created.Add($spec.name)
            continue
        }
        foreach ($rule in $existing) {
            $changed = $false
            foreach ($prop in $compared.Keys) {
                if ($null -eq $spec[$compared[$prop]]) { continue }
                if (-not (Test-Differs $prop $rule.$prop $wanted.$prop)) { continue }
                [void]$diffBefore.AppendLine("[$($rule.Name)] $prop='$($rule.$prop)'")
                [void]$diffAfter.AppendLine("[$($rule.Name)] $prop='$($wanted.$prop)'")
                if (-not $checkMode) {
                    if ($prop -eq 'Profiles') { $rule.Profiles = [int]$wanted.Profiles }
                    else { $rule.$prop = $wanted.$prop }
                }
                $changed = $true
            }
            if ($changed) { $module.Result.updated.Add($rule.Name) }
        }
    }

    foreach ($name in $module.Params.remove) {
        foreach ($rule in (& $matching $name)) {
            [void]$diffBefore.AppendLine("[$($rule.Name)]")
            if (-not $checkMode) { $fw.Rules.Remove($rule.Name) }
            $module.Result.removed.Add($rule.Name)
        }
    }
}
catch {
    $module.FailJson("Firewall reconcile failed: $($_.Exception.Message)", $_)
}

$module.Result.changed = ($module.Result.created.Count + $module.Result.updated.Count + $module.Result.removed.Count) -gt 0
$module.Diff.before = $diffBefore.ToString()
$module.Diff.after = $diffAfter.ToString()
$module.ExitJson()
