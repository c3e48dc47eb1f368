# ses_evolution.firewall:reconcile
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Applies a host's whole plan (from the filter win_firewall_plan) in one round
# trip, with community.windows.win_firewall_rule's semantics for each rule: the
# same COM object (HNetCfg.FwPolicy2), the same property order and comparison,
# so both methods leave a host in the same state. Rules are found by name
# (case-insensitive), every rule of a name is compared and updated, only the
# options given are compared, a missing rule is created, removal is by name.
# Nothing changes unless each name still matches as many rules as when the
# plan was made. Known failures are returned in $Ansible.Result.error.
# The first line is the marker by which the test simulator recognises this script.
[CmdletBinding(SupportsShouldProcess = $true)]
param (
    [object[]]$Rules = @(),
    [string[]]$Remove = @(),
    # Installer rules changed one at a time: each spec applies only to the rules of its
    # name whose protocol and local port match (same-name rules on other ports untouched).
    [object[]]$Installer = @(),
    [System.Collections.IDictionary]$ExpectedCounts = @{}
)
$ErrorActionPreference = 'Stop'
$created = [System.Collections.Generic.List[String]]@()
$updated = [System.Collections.Generic.List[String]]@()
$removed = [System.Collections.Generic.List[String]]@()
$Ansible.Changed = $false
$Ansible.Result = @{ created = $created; updated = $updated; removed = $removed }

# PowerShell's COM binder cannot pass a null string: clearing a rule's program by
# plain assignment throws "Value does not fall within the expected range"
# (community.windows issue 471) and would stop the run part way. As
# win_firewall_rule does (PutApplicationName), the program is set through the
# typed INetFwRule interface; the service too, so that neither depends on the binder.
if (-not ('SesEvolution.Firewall.NetFwRule' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;

namespace SesEvolution.Firewall
{
    [ComImport]
    [InterfaceType(ComInterfaceType.InterfaceIsIDispatch)]
    [Guid("AF230D27-BABA-4E42-ACED-F524F22CFCE2")]
    public interface INetFwRule
    {
        [DispId(3)]
        string ApplicationName { get; set; }
        [DispId(4)]
        string ServiceName { get; set; }
    }

    public static class NetFwRule
    {
        public static void PutApplicationName(object rule, string value)
        {
            ((INetFwRule)rule).ApplicationName = string.IsNullOrEmpty(value) ? null : value;
        }

        public static void PutServiceName(object rule, string value)
        {
            ((INetFwRule)rule).ServiceName = string.IsNullOrEmpty(value) ? null : value;
        }
    }
}
'@
}

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

# As in win_firewall_rule: properties are compared and set in this order
# (ports before protocol), each only when the option was given.
$compared = [ordered]@{
    Description = 'description'; Direction = 'direction'; Action = 'action'; ApplicationName = 'program'
    Grouping = 'group'; ServiceName = 'service'; Enabled = 'enabled'; Profiles = 'profiles'
    LocalAddresses = 'localip'; RemoteAddresses = 'remoteip'; LocalPorts = 'localport'
    RemotePorts = 'remoteport'; Protocol = 'protocol'
}

function Get-Option($spec, [string]$name) {
    if ($spec -is [System.Collections.IDictionary]) { return $spec[$name] }
    return $spec.$name
}

function New-WantedRule($spec) {
    $rule = New-Object -ComObject HNetCfg.FWRule
    $rule.Name = Get-Option $spec 'name'
    $enabled = Get-Option $spec 'enabled'
    if ($null -ne $enabled) { $rule.Enabled = [bool]$enabled } else { $rule.Enabled = $true }
    foreach ($pair in @(@('description', 'Description'), @('group', 'Grouping'))) {
        $value = Get-Option $spec $pair[0]
        if ($null -ne $value) { $rule.($pair[1]) = $value }
    }
    $program = Get-Option $spec 'program'
    if ($null -ne $program -and $program -ne 'any') {
        $rule.ApplicationName = [System.Environment]::ExpandEnvironmentVariables($program)
    }
    $service = Get-Option $spec 'service'
    if ($null -ne $service -and $service -ne 'any') { $rule.ServiceName = $service }
    $protocol = Get-Option $spec 'protocol'
    if ($null -ne $protocol -and $protocol -ne 'any') { $rule.Protocol = ConvertTo-ProtocolType $protocol }
    foreach ($pair in @(@('localport', 'LocalPorts'), @('remoteport', 'RemotePorts'), @('localip', 'LocalAddresses'),
            @('remoteip', 'RemoteAddresses'))) {
        $value = Get-Option $spec $pair[0]
        if ($null -ne $value -and $value -ne 'any') { $rule.($pair[1]) = $value }
    }
    $direction = Get-Option $spec 'direction'
    if ($null -ne $direction) { $rule.Direction = @{ in = 1; out = 2 }[$direction] }
    $action = Get-Option $spec 'action'
    if ($null -ne $action) { $rule.Action = @{ block = 0; allow = 1 }[$action] }
    $profiles = Get-Option $spec 'profiles'
    if ($null -ne $profiles) { $rule.Profiles = [int](ConvertTo-Profile $profiles) }
    $rule
}

function Test-Differs([string]$prop, $existing, $wanted) {
    if ($existing -eq $wanted) { return $false }
    if ($prop -like '*Addresses') {
        if (-not (Compare-Object @("$existing" -split ',') @("$wanted" -split ','))) { return $false }
    }
    return $true
}

try {
    $fw = New-Object -ComObject HNetCfg.FwPolicy2
    $byName = @{}
    foreach ($rule in @($fw.Rules)) {
        $key = "$($rule.Name)".ToLowerInvariant()
        if (-not $byName.ContainsKey($key)) { $byName[$key] = [System.Collections.Generic.List[Object]]@() }
        $byName[$key].Add($rule)
    }
    function Get-Named([string]$name) {
        $found = $byName[$name.ToLowerInvariant()]
        if ($found) { return , $found.ToArray() }
        return , @()
    }

    $drift = foreach ($name in $ExpectedCounts.Keys) {
        $now = (Get-Named $name).Count
        if ($now -ne [int]$ExpectedCounts[$name]) { "'$name': $now rule(s), planned with $($ExpectedCounts[$name])" }
    }
    if ($drift) {
        $Ansible.Result.error = "The firewall changed since the plan was made, nothing was applied: $($drift -join '; ')"
        $Ansible.Failed = $true
        return
    }

    $work = @($Rules | ForEach-Object { @{ Spec = $_; Targeted = $false } }) +
        @($Installer | ForEach-Object { @{ Spec = $_; Targeted = $true } })
    foreach ($item in $work) {
        $spec = $item.Spec
        $name = Get-Option $spec 'name'
        $wanted = New-WantedRule $spec
        $existing = Get-Named $name
        if ($item.Targeted) {
            $existing = @($existing | Where-Object {
                    [int]$_.Protocol -eq [int]$wanted.Protocol -and "$($_.LocalPorts)" -eq "$($wanted.LocalPorts)"
                })
            if ($existing.Count -eq 0) {
                throw "no rule '$name' on $(Get-Option $spec 'protocol') $(Get-Option $spec 'localport') any more: the firewall changed since the plan was made"
            }
        }
        elseif ($existing.Count -eq 0) {
            if ($PSCmdlet.ShouldProcess($name, 'Create firewall rule')) { $fw.Rules.Add($wanted) }
            $created.Add($name)
            continue
        }
        foreach ($rule in $existing) {
            $changed = $false
            foreach ($prop in $compared.Keys) {
                if ($null -eq (Get-Option $spec $compared[$prop])) { continue }
                if (-not (Test-Differs $prop $rule.$prop $wanted.$prop)) { continue }
                if ($PSCmdlet.ShouldProcess($rule.Name, "Set $prop")) {
                    if ($prop -eq 'Profiles') { $rule.Profiles = [int]$wanted.Profiles }
                    elseif ($prop -eq 'ApplicationName') {
                        [SesEvolution.Firewall.NetFwRule]::PutApplicationName($rule, $wanted.ApplicationName)
                    }
                    elseif ($prop -eq 'ServiceName') {
                        [SesEvolution.Firewall.NetFwRule]::PutServiceName($rule, $wanted.ServiceName)
                    }
                    else { $rule.$prop = $wanted.$prop }
                }
                $changed = $true
            }
            if ($changed) { $updated.Add($rule.Name) }
        }
    }

    foreach ($name in $Remove) {
        foreach ($rule in (Get-Named $name)) {
            if ($PSCmdlet.ShouldProcess($rule.Name, 'Remove firewall rule')) { $fw.Rules.Remove($rule.Name) }
            $removed.Add($rule.Name)
        }
    }
}
catch {
    $Ansible.Result.error = "Firewall reconcile failed: $($_.Exception.Message)"
    $Ansible.Failed = $true
}
$Ansible.Changed = ($created.Count + $updated.Count + $removed.Count) -gt 0
