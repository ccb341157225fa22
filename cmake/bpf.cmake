# Compiles bpf/NAME.bpf.c with clang into an object, then into a libbpf skeleton header
# (bpftool gen skeleton) that embeds the object: no clang is needed at run time.
find_program(BEYLA_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BEYLA_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
find_program(BEYLA_LLVM_STRIP NAMES llvm-strip llvm-strip-14 REQUIRED)

set(BEYLA_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf_gen)
file(MAKE_DIRECTORY ${BEYLA_BPF_GEN_DIR})

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BEYLA_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BEYLA_BPF_ARCH arm64)
else()
  set(BEYLA_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

# vmlinux.h: a given file, else the build machine's own BTF. CO-RE relocates field
# offsets at load time, so the header only has to name the types.
set(BEYLA_VMLINUX_H "" CACHE FILEPATH "vmlinux.h to compile the BPF programs against")
set(BEYLA_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH "BTF to generate vmlinux.h from")
if(BEYLA_VMLINUX_H)
  configure_file(${BEYLA_VMLINUX_H} ${BEYLA_BPF_GEN_DIR}/vmlinux.h COPYONLY)
elseif(EXISTS ${BEYLA_VMLINUX_BTF})
  execute_process(COMMAND ${BEYLA_BPFTOOL} btf dump file ${BEYLA_VMLINUX_BTF} format c
    OUTPUT_FILE ${BEYLA_BPF_GEN_DIR}/vmlinux.h RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "bpftool could not dump ${BEYLA_VMLINUX_BTF}: set BEYLA_VMLINUX_H")
  endif()
else()
  message(FATAL_ERROR "No BTF at ${BEYLA_VMLINUX_BTF}: set BEYLA_VMLINUX_H to a vmlinux.h for ${BEYLA_BPF_ARCH}")
endif()

add_custom_target(beyla_bpf_skeletons)

# beyla_bpf_object(name [dir]): dir defaults to bpf/ (bench/ holds a bench-only object).
function(beyla_bpf_object name)
  set(dir ${CMAKE_SOURCE_DIR}/bpf)
  if(ARGC GREATER 1)
    set(dir ${ARGV1})
  endif()
  set(src ${dir}/${name}.bpf.c)
  set(obj ${BEYLA_BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${BEYLA_BPF_GEN_DIR}/${name}.skel.h)
  # *.bpf.c too: a variant build includes another program file.
  file(GLOB bpf_headers ${CMAKE_SOURCE_DIR}/bpf/*.h ${CMAKE_SOURCE_DIR}/bpf/*.bpf.c)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${BEYLA_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${BEYLA_BPF_ARCH}
            -Wall -Wno-unused-function -Werror
            -I${CMAKE_SOURCE_DIR}/bpf -I${BEYLA_BPF_GEN_DIR} -c ${src} -o ${obj}.tmp
    COMMAND ${BEYLA_LLVM_STRIP} -g ${obj}.tmp -o ${obj}
    DEPENDS ${src} ${bpf_headers} ${BEYLA_BPF_GEN_DIR}/vmlinux.h
    COMMENT "BPF ${name}.bpf.c" VERBATIM)
  add_custom_command(OUTPUT ${skel}
    COMMAND ${BEYLA_BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj} COMMENT "skeleton ${name}" VERBATIM)
  add_custom_target(beyla_bpf_${name} DEPENDS ${skel})
  add_dependencies(beyla_bpf_skeletons beyla_bpf_${name})
endfunction()
