# fish completion for virtioctl.
#
# The candidates come from the binary (`virtioctl __complete -- WORD...
# CURRENT`), which follows the same command table as the shell's Tab: this
# file lists no command, option or argument itself, so it cannot drift.
# Output lines are "candidate<TAB>description"; "@file" means file names.

function __virtioctl_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    for line in ($words[1] __complete -- $words[2..] $cur 2>/dev/null)
        if test "$line" = @file
            __fish_complete_path $cur
        else
            printf '%s\n' $line
        end
    end
end

complete -c virtioctl -f -a '(__virtioctl_complete)'
