# `#define __NR_<name> <value>` lines (gcc -E -dM of asm-generic/unistd.h) -> `[nr] = "name",` C initializers.
# Values may name another macro (`__NR3264_fstatat`): resolved through the defines.
/^#define __NR/ { def[$2] = $3 }
END {
	for (k in def) {
		if (k !~ /^__NR_/ || k == "__NR_syscalls" || k == "__NR_arch_specific_syscall") continue
		v = def[k]
		for (i = 0; i < 4 && v !~ /^[0-9]+$/ && (v in def); i++) v = def[v]
		if (v !~ /^[0-9]+$/) continue
		name = substr(k, 6)
		printf "\t[%d] = \"%s\",\n", v, name
	}
}
