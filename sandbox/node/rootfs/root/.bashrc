# A learner's shell on a Dockside node.
[ -z "$PS1" ] && return
export TERM=${TERM:-xterm-256color}
HISTSIZE=5000
HISTFILESIZE=10000
shopt -s histappend checkwinsize
[ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
# The prompt names the node, so a learner always knows which machine a command runs on.
PS1='\[\e[1;36m\]\h\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]\$ '
alias ls='ls --color=auto'
alias ll='ls -l'
alias grep='grep --color=auto'
