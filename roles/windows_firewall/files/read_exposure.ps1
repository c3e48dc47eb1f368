# ses_evolution.firewall:read_exposure
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Read only, for the drift audit: every enabled inbound allow rule (whoever made it: the collection, the SES
# installer, an administrator, a GPO), and the profiles' effective state, including whether Group Policy lets
# local rules apply. The comparison runs on the controller (plugin_utils/drift.py).
# The first line is the marker by which the test simulator recognises this script.
[CmdletBinding()]
param ()
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# The COM object lists the rules of the active policy (local and Group Policy merged), as read_state.ps1 does.
$fw = New-Object -ComObject HNetCfg.FwPolicy2
$rules = foreach ($rule in $fw.Rules) {
    # Direction 1 = inbound, Action 1 = allow: only these can open a port.
    if ($rule.Enabled -and [int]$rule.Direction -eq 1 -and [int]$rule.Action -eq 1) {
        [ordered]@{
            Name = $rule.Name
            Grouping = $rule.Grouping
            Direction = [int]$rule.Direction
            Action = [int]$rule.Action
            Protocol = [int]$rule.Protocol
            LocalPorts = $rule.LocalPorts
            RemoteAddresses = $rule.RemoteAddresses
            Enabled = [bool]$rule.Enabled
            Profiles = [int]$rule.Profiles
            ApplicationName = $rule.ApplicationName
            ServiceName = $rule.ServiceName
        }
    }
}

# ActiveStore: the effective values. AllowLocalFirewallRules False means Group Policy ignores local rules.
$profiles = foreach ($profile in Get-NetFirewallProfile -PolicyStore ActiveStore) {
    [ordered]@{
        Name = "$($profile.Name)"
        Enabled = "$($profile.Enabled)"
        DefaultInboundAction = "$($profile.DefaultInboundAction)"
        AllowLocalFirewallRules = "$($profile.AllowLocalFirewallRules)"
    }
}

$Ansible.Result = @{
    rules = @($rules)
    profiles = @($profiles)
}
