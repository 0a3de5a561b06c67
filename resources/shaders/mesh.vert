#version 330 core
// The mesh in world space (the asset is already in metres, +Y up), so there is no model matrix.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_normal;   // GL_INT_2_10_10_10_REV, normalised: xyz used
layout(location = 2) in vec2 a_uv;
#ifdef NORMAL_MAP
layout(location = 3) in vec4 a_tangent;  // the same packing: MikkTSpace xyz, bitangent sign in w
#endif

uniform mat4 u_view_projection;

out vec3 v_normal;
out vec2 v_uv;
#ifdef NORMAL_MAP
// Only the normal-mapped variant carries it: on a software rasterizer every interpolated vec4 is
// set up per triangle, which at a million triangles costs more than the fragments do.
out vec4 v_tangent;
#endif

void main() {
    v_normal = a_normal.xyz;
    v_uv = a_uv;
#ifdef NORMAL_MAP
    v_tangent = a_tangent;
#endif
    gl_Position = u_view_projection * vec4(a_position, 1.0);
}
