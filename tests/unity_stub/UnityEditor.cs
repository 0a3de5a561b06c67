// A stub of the few UnityEditor types Sweedle's editor script uses, with Unity's signatures, so
// the script can be compiled outside Unity (tests/core/test_unity_script.py). No behaviour.
namespace UnityEditor
{
    public class AssetImporter : UnityEngine.Object
    {
        public string assetPath { get { return null; } }
    }

    public enum ModelImporterNormals { Import, Calculate, None }

    public enum ModelImporterTangents { Import, CalculateLegacy, CalculateLegacyWithSplitTangents, CalculateMikk, None }

    public class ModelImporter : AssetImporter
    {
        public ModelImporterNormals importNormals { get; set; }
        public ModelImporterTangents importTangents { get; set; }
        public bool generateSecondaryUV { get; set; }
        public bool addCollider { get; set; }
    }

    public enum TextureImporterType { Default, NormalMap, GUI, Sprite, Cursor, Cookie, Lightmap, SingleChannel }

    public class TextureImporter : AssetImporter
    {
        public TextureImporterType textureType { get; set; }
        public bool sRGBTexture { get; set; }
    }

    public class AssetPostprocessor
    {
        public string assetPath { get { return null; } }
        public AssetImporter assetImporter { get { return null; } }
        public virtual uint GetVersion() { return 0; }
    }

    public static class AssetDatabase
    {
        public static T LoadAssetAtPath<T>(string assetPath) where T : UnityEngine.Object { return null; }
    }
}
