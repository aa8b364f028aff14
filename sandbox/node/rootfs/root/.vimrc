set nocompatible
syntax on
set mouse=
set backspace=indent,eol,start
